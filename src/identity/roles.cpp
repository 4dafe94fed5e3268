#include "ris/identity/roles.hpp"

#include <algorithm>

#include "members_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "roles_repository.hpp"

namespace ris::identity {
namespace {
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
  return RolesRepository(store_).list(access.space_id);
}

Result<RoleView> Roles::find(const SpaceAccess& access, std::string_view role_id) {
  RIS_TRY(auto role, RolesRepository(store_).find(access.space_id, role_id));
  if (!role)
    return fail(Errc::not_found, "no such role");
  return std::move(*role);
}

Result<RoleView> Roles::create(const SpaceAccess& access, std::string name, Permissions permissions,
                               std::string color) {
  RIS_TRY_VOID(require(access, kManageRoles));
  RIS_TRY_VOID(validate_role_name(name));
  RIS_TRY_VOID(may_grant(access, permissions));
  if (color.size() > 16)
    return fail(Errc::invalid_argument, "color must be at most 16 characters (e.g. #5865f2)");
  const StoredRole role{new_id(), access.space_id, std::move(name), std::move(color),
                        1,        permissions,     now_rfc3339()};
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RolesRepository roles(tx);
    RIS_TRY(const int64_t count, roles.count(access.space_id));
    if (count >= 250)
      return fail(Errc::conflict, "a space can have at most 250 roles");
    RIS_TRY_VOID(roles.make_room_at_bottom(access.space_id));
    return roles.insert(role);
  }));
  return find(access, role.id);
}

Result<RoleView> Roles::update(const SpaceAccess& access, std::string_view role_id,
                               const RoleChanges& c) {
  RIS_TRY_VOID(require(access, kManageRoles));
  RIS_TRY(RoleView role, find(access, role_id));
  if (!role.is_everyone)
    RIS_TRY_VOID(may_manage(access, role));
  RolesRepository roles(store_);
  if (c.name) {
    if (role.is_everyone)
      return fail(Errc::invalid_argument, "@everyone cannot be renamed");
    RIS_TRY_VOID(validate_role_name(*c.name));
    RIS_TRY_VOID(roles.set_name(role.id, *c.name));
  }
  if (c.color)
    RIS_TRY_VOID(roles.set_color(role.id, *c.color));
  if (c.permissions) {
    // Only the bits that change need to be held: an editor may keep bits they lack untouched.
    RIS_TRY_VOID(may_grant(access, *c.permissions ^ role.permissions));
    RIS_TRY_VOID(roles.set_permissions(role.id, *c.permissions));
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
    return RolesRepository(tx).remove(access.space_id, role.id, role.position);
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
    RolesRepository roles(tx);
    for (size_t i = 0; i < order.size(); ++i)
      RIS_TRY_VOID(roles.set_position(order[i].id, static_cast<int64_t>(i + 1)));
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
  if (o.kind == Overwrite::Kind::role) {
    RIS_TRY(auto r, find(access, o.target_id));
    (void)r;
  } else {
    RIS_TRY(const bool member, MembersRepository(store_).is_member(access.space_id, o.target_id));
    if (!member)
      return fail(Errc::not_found, "no such member");
  }
  RolesRepository roles(store_);
  if (o.allow == 0 && o.deny == 0)
    return roles.delete_overwrite(access.space_id, resource_type, resource_id, o.kind, o.target_id);
  return roles.upsert_overwrite(access.space_id, resource_type, resource_id, o);
}

Result<std::vector<OverwriteView>> Roles::overwrites(const SpaceAccess& access,
                                                     std::string_view resource_type,
                                                     std::string_view resource_id) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(auto found,
          RolesRepository(store_).overwrites(access.space_id, resource_type, resource_id));
  std::vector<OverwriteView> out;
  out.reserve(found.size());
  for (auto& o : found)
    out.push_back({std::string(resource_type), std::string(resource_id), std::move(o)});
  return out;
}

}  // namespace ris::identity
