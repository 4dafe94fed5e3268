// SQL for roles and permission_overwrites. Portable SQL only (SQLite and PostgreSQL 15).
// Positions are not unique in the schema (a reorder rewrites them one by one), so every
// ORDER BY on position breaks ties by id.
#include "roles_repository.hpp"

namespace ris::identity {
namespace {

RoleView from_row(const store::Row& r, std::string_view space_id) {
  RoleView v;
  v.id = r.get<std::string>("id");
  v.name = r.get<std::string>("name");
  v.color = r.get<std::string>("color");
  v.position = static_cast<int>(r.get<int64_t>("position"));
  v.permissions = static_cast<Permissions>(r.get<int64_t>("permissions"));
  v.is_everyone = v.id == space_id;
  return v;
}

std::string_view kind_name(Overwrite::Kind k) {
  return k == Overwrite::Kind::role ? "role" : "member";
}

}  // namespace

Result<std::vector<RoleView>> RolesRepository::list(std::string_view space_id) {
  RIS_TRY(
      auto rows,
      store_.query("SELECT id, name, color, position, permissions FROM roles WHERE space_id = ? "
                   "ORDER BY position DESC, id",
                   {std::string(space_id)}));
  std::vector<RoleView> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r, space_id));
  return out;
}

Result<std::optional<RoleView>> RolesRepository::find(std::string_view space_id,
                                                      std::string_view role_id) {
  RIS_TRY(auto rows, store_.query("SELECT id, name, color, position, permissions FROM roles "
                                  "WHERE space_id = ? AND id = ?",
                                  {std::string(space_id), std::string(role_id)}));
  if (rows.rows.empty())
    return std::optional<RoleView>();
  return std::optional<RoleView>(from_row(rows.rows[0], space_id));
}

Result<std::vector<Role>> RolesRepository::engine_roles(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT id, position, permissions FROM roles WHERE space_id = ? "
                                  "ORDER BY position, id",
                                  {std::string(space_id)}));
  std::vector<Role> roles;
  roles.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    roles.push_back(Role{r.get<std::string>(0), static_cast<int>(r.get<int64_t>(1)),
                         static_cast<Permissions>(r.get<int64_t>(2))});
  return roles;
}

Result<int64_t> RolesRepository::count(std::string_view space_id) {
  RIS_TRY(auto rows,
          store_.query("SELECT COUNT(*) FROM roles WHERE space_id = ?", {std::string(space_id)}));
  return rows.rows[0].get<int64_t>(0);
}

Result<void> RolesRepository::insert(const StoredRole& r) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO roles (id, space_id, name, position, permissions, color, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {r.id, r.space_id, r.name, r.position, static_cast<int64_t>(r.permissions), r.color,
       r.created_at}));
  return {};
}

Result<void> RolesRepository::make_room_at_bottom(std::string_view space_id) {
  RIS_TRY_VOID(
      store_.query("UPDATE roles SET position = position + 1 WHERE space_id = ? AND position >= 1",
                   {std::string(space_id)}));
  return {};
}

Result<void> RolesRepository::set_name(std::string_view role_id, std::string_view name) {
  RIS_TRY_VOID(store_.query("UPDATE roles SET name = ? WHERE id = ?",
                            {std::string(name), std::string(role_id)}));
  return {};
}

Result<void> RolesRepository::set_color(std::string_view role_id, std::string_view color) {
  RIS_TRY_VOID(store_.query("UPDATE roles SET color = ? WHERE id = ?",
                            {std::string(color), std::string(role_id)}));
  return {};
}

Result<void> RolesRepository::set_permissions(std::string_view role_id, Permissions permissions) {
  RIS_TRY_VOID(store_.query("UPDATE roles SET permissions = ? WHERE id = ?",
                            {static_cast<int64_t>(permissions), std::string(role_id)}));
  return {};
}

Result<void> RolesRepository::set_position(std::string_view role_id, int64_t position) {
  RIS_TRY_VOID(
      store_.query("UPDATE roles SET position = ? WHERE id = ?", {position, std::string(role_id)}));
  return {};
}

Result<void> RolesRepository::remove(std::string_view space_id, std::string_view role_id,
                                     int64_t position) {
  const std::string space(space_id), role(role_id);
  RIS_TRY_VOID(store_.query("DELETE FROM roles WHERE id = ?", {role}));
  RIS_TRY_VOID(store_.query(
      "DELETE FROM permission_overwrites WHERE space_id = ? AND target_kind = 'role' AND "
      "target_id = ?",
      {space, role}));
  RIS_TRY_VOID(
      store_.query("UPDATE roles SET position = position - 1 WHERE space_id = ? AND position > ?",
                   {space, position}));
  return {};
}

Result<std::vector<Overwrite>> RolesRepository::overwrites(std::string_view space_id,
                                                           std::string_view resource_type,
                                                           std::string_view resource_id) {
  RIS_TRY(
      auto rows,
      store_.query("SELECT target_kind, target_id, allow, deny FROM permission_overwrites "
                   "WHERE space_id = ? AND resource_type = ? AND resource_id = ? "
                   "ORDER BY target_kind, target_id",
                   {std::string(space_id), std::string(resource_type), std::string(resource_id)}));
  std::vector<Overwrite> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(
        Overwrite{r.get<std::string>(0) == "role" ? Overwrite::Kind::role : Overwrite::Kind::member,
                  r.get<std::string>(1), static_cast<Permissions>(r.get<int64_t>(2)),
                  static_cast<Permissions>(r.get<int64_t>(3))});
  return out;
}

Result<void> RolesRepository::upsert_overwrite(std::string_view space_id,
                                               std::string_view resource_type,
                                               std::string_view resource_id, const Overwrite& o) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO permission_overwrites (space_id, resource_type, resource_id, target_kind, "
      "target_id, allow, deny) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (space_id, "
      "resource_type, resource_id, target_kind, target_id) DO UPDATE SET allow = "
      "excluded.allow, deny = excluded.deny",
      {std::string(space_id), std::string(resource_type), std::string(resource_id),
       std::string(kind_name(o.kind)), o.target_id, static_cast<int64_t>(o.allow),
       static_cast<int64_t>(o.deny)}));
  return {};
}

Result<void> RolesRepository::delete_overwrite(std::string_view space_id,
                                               std::string_view resource_type,
                                               std::string_view resource_id, Overwrite::Kind kind,
                                               std::string_view target_id) {
  RIS_TRY_VOID(
      store_.query("DELETE FROM permission_overwrites WHERE space_id = ? AND resource_type = ? AND "
                   "resource_id = ? AND target_kind = ? AND target_id = ?",
                   {std::string(space_id), std::string(resource_type), std::string(resource_id),
                    std::string(kind_name(kind)), std::string(target_id)}));
  return {};
}

}  // namespace ris::identity
