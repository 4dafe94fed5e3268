#include "ris/identity/roles.hpp"

#include <algorithm>

#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"

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

Result<void> validate_role_name(std::string_view name) {
  if (name.empty() || name.size() > 100)
    return fail(Errc::invalid_argument, "role name must be 1 to 100 characters");
  if (name == "@everyone")
    return fail(Errc::invalid_argument, "\"@everyone\" is reserved");
  return {};
}

Result<void> may_grant(const SpaceAccess& access, Permissions requested) {
  if (!can_grant(access.permissions, requested))
    return fail(Errc::forbidden, "you can only grant permissions you hold");
  return {};
}

Result<void> may_manage(const SpaceAccess& access, const RoleView& role) {
  if (!can_manage_role(access.member, access.permissions,
                       Role{role.id, role.position, role.permissions}, access.roles))
    return fail(Errc::forbidden, "that role is not below your highest role");
  return {};
}
}  // namespace

Result<std::vector<RoleView>> Roles::list(const SpaceAccess& access) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(
      auto rows,
      store_.query("SELECT id, name, color, position, permissions FROM roles WHERE space_id = ? "
                   "ORDER BY position DESC",
                   {access.space_id}));
  std::vector<RoleView> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r, access.space_id));
  return out;
}

Result<RoleView> Roles::find(const SpaceAccess& access, std::string_view role_id) {
  RIS_TRY(
      auto rows,
      store_.query(
          "SELECT id, name, color, position, permissions FROM roles WHERE space_id = ? AND id = ?",
          {access.space_id, std::string(role_id)}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such role");
  return from_row(rows.rows[0], access.space_id);
}

Result<RoleView> Roles::create(const SpaceAccess& access, std::string name, Permissions permissions,
                               std::string color) {
  RIS_TRY_VOID(require(access, kManageRoles));
  RIS_TRY_VOID(validate_role_name(name));
  RIS_TRY_VOID(may_grant(access, permissions));
  if (color.size() > 16)
    return fail(Errc::invalid_argument, "color must be at most 16 characters (e.g. #5865f2)");
  const std::string id = new_id();
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto count,
            tx.query("SELECT COUNT(*) FROM roles WHERE space_id = ?", {access.space_id}));
    if (count.rows[0].get<int64_t>(0) >= 250)
      return fail(Errc::conflict, "a space can have at most 250 roles");
    RIS_TRY_VOID(
        tx.query("UPDATE roles SET position = position + 1 WHERE space_id = ? AND position >= 1",
                 {access.space_id}));
    RIS_TRY_VOID(tx.query(
        "INSERT INTO roles (id, space_id, name, position, permissions, color, created_at) "
        "VALUES (?, ?, ?, 1, ?, ?, ?)",
        {id, access.space_id, name, static_cast<int64_t>(permissions), color, now_rfc3339()}));
    return {};
  }));
  return find(access, id);
}

Result<RoleView> Roles::update(const SpaceAccess& access, std::string_view role_id,
                               const RoleChanges& c) {
  RIS_TRY_VOID(require(access, kManageRoles));
  RIS_TRY(RoleView role, find(access, role_id));
  if (!role.is_everyone)
    RIS_TRY_VOID(may_manage(access, role));
  if (c.name) {
    if (role.is_everyone)
      return fail(Errc::invalid_argument, "@everyone cannot be renamed");
    RIS_TRY_VOID(validate_role_name(*c.name));
    RIS_TRY_VOID(store_.query("UPDATE roles SET name = ? WHERE id = ?", {*c.name, role.id}));
  }
  if (c.color)
    RIS_TRY_VOID(store_.query("UPDATE roles SET color = ? WHERE id = ?", {*c.color, role.id}));
  if (c.permissions) {
    // Only the bits that change need to be held: an editor may keep bits they lack untouched.
    RIS_TRY_VOID(may_grant(access, *c.permissions ^ role.permissions));
    RIS_TRY_VOID(store_.query("UPDATE roles SET permissions = ? WHERE id = ?",
                              {static_cast<int64_t>(*c.permissions), role.id}));
  }
  return find(access, role_id);
}

Result<void> Roles::remove(const SpaceAccess& access, std::string_view role_id) {
  RIS_TRY_VOID(require(access, kManageRoles));
  RIS_TRY(RoleView role, find(access, role_id));
  if (role.is_everyone)
    return fail(Errc::invalid_argument, "@everyone cannot be deleted");
  RIS_TRY_VOID(may_manage(access, role));
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("DELETE FROM roles WHERE id = ?", {role.id}));
    RIS_TRY_VOID(tx.query(
        "DELETE FROM permission_overwrites WHERE space_id = ? AND target_kind = 'role' AND "
        "target_id = ?",
        {access.space_id, role.id}));
    RIS_TRY_VOID(
        tx.query("UPDATE roles SET position = position - 1 WHERE space_id = ? AND position > ?",
                 {access.space_id, int64_t{role.position}}));
    return {};
  });
}

Result<std::vector<RoleView>> Roles::reorder(
    const SpaceAccess& access, const std::vector<std::pair<std::string, int>>& positions) {
  RIS_TRY_VOID(require(access, kManageRoles));
  RIS_TRY(auto all, list(access));
  const int mine = access.highest_position();
  // Apply the moves to an ordered list, then renumber 1..n so positions stay dense.
  std::vector<RoleView> order;
  for (auto& r : all)
    if (!r.is_everyone)
      order.push_back(r);
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.position < b.position; });
  for (const auto& [id, pos] : positions) {
    auto it = std::find_if(order.begin(), order.end(), [&](const auto& r) { return r.id == id; });
    if (it == order.end())
      return fail(Errc::not_found, "no such role: " + id);
    if (pos < 1 || pos > static_cast<int>(order.size()))
      return fail(Errc::invalid_argument,
                  "position must be between 1 and " + std::to_string(order.size()));
    RIS_TRY_VOID(may_manage(access, *it));
    if (!access.member.is_owner && pos >= mine)
      return fail(Errc::forbidden, "a role cannot be moved to or above your highest role");
    RoleView moved = *it;
    order.erase(it);
    order.insert(order.begin() + (pos - 1), moved);
  }
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    for (size_t i = 0; i < order.size(); ++i)
      RIS_TRY_VOID(tx.query("UPDATE roles SET position = ? WHERE id = ?",
                            {static_cast<int64_t>(i + 1), order[i].id}));
    return {};
  }));
  return list(access);
}

Result<void> Roles::set_overwrite(const SpaceAccess& access, std::string_view resource_type,
                                  std::string_view resource_id, const Overwrite& o) {
  RIS_TRY_VOID(require(access, kManageRoles));
  if (resource_type.empty() || resource_type.size() > 32 || resource_id.empty() ||
      resource_id.size() > 64)
    return fail(Errc::invalid_argument, "resource type and id are required");
  if (o.allow & o.deny)
    return fail(Errc::invalid_argument, "a permission cannot be both allowed and denied");
  RIS_TRY_VOID(may_grant(access, o.allow | o.deny));
  const bool role = o.kind == Overwrite::Kind::role;
  if (role) {
    RIS_TRY(auto r, find(access, o.target_id));
    (void)r;
  } else {
    RIS_TRY(auto m,
            store_.query("SELECT 1 FROM space_members WHERE space_id = ? AND account_id = ?",
                         {access.space_id, o.target_id}));
    if (m.rows.empty())
      return fail(Errc::not_found, "no such member");
  }
  const std::string kind = role ? "role" : "member";
  if (o.allow == 0 && o.deny == 0) {
    RIS_TRY_VOID(store_.query(
        "DELETE FROM permission_overwrites WHERE space_id = ? AND resource_type = ? AND "
        "resource_id = ? AND target_kind = ? AND target_id = ?",
        {access.space_id, std::string(resource_type), std::string(resource_id), kind,
         o.target_id}));
    return {};
  }
  RIS_TRY_VOID(store_.query(
      "INSERT INTO permission_overwrites (space_id, resource_type, resource_id, target_kind, "
      "target_id, allow, deny) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (space_id, "
      "resource_type, resource_id, target_kind, target_id) DO UPDATE SET allow = "
      "excluded.allow, deny = excluded.deny",
      {access.space_id, std::string(resource_type), std::string(resource_id), kind, o.target_id,
       static_cast<int64_t>(o.allow), static_cast<int64_t>(o.deny)}));
  return {};
}

Result<std::vector<OverwriteView>> Roles::overwrites(const SpaceAccess& access,
                                                     std::string_view resource_type,
                                                     std::string_view resource_id) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(
      auto rows,
      store_.query("SELECT target_kind, target_id, allow, deny FROM permission_overwrites WHERE "
                   "space_id = ? AND resource_type = ? AND resource_id = ? ORDER BY target_kind, "
                   "target_id",
                   {access.space_id, std::string(resource_type), std::string(resource_id)}));
  std::vector<OverwriteView> out;
  for (const auto& r : rows.rows)
    out.push_back({std::string(resource_type), std::string(resource_id),
                   Overwrite{r.get<std::string>(0) == "role" ? Overwrite::Kind::role
                                                             : Overwrite::Kind::member,
                             r.get<std::string>(1), static_cast<Permissions>(r.get<int64_t>(2)),
                             static_cast<Permissions>(r.get<int64_t>(3))}});
  return out;
}

}  // namespace ris::identity
