#include "ris/identity/access.hpp"

#include <algorithm>

#include "members_repository.hpp"
#include "ris/core/time.hpp"
#include "roles_repository.hpp"
#include "spaces_repository.hpp"

namespace ris::identity {
namespace {
Failure no_such_space() {
  return fail(Errc::not_found, "no such space");
}
}  // namespace

bool Principal::has_app_role(std::string_view role) const {
  return std::find(app_roles.begin(), app_roles.end(), role) != app_roles.end();
}

int SpaceAccess::highest_position() const {
  return identity::highest_position(member, roles);
}

Result<std::vector<Role>> load_roles(store::Store& store, std::string_view space_id) {
  return RolesRepository(store).engine_roles(space_id);
}

Result<Member> load_member(store::Store& store, std::string_view space_id,
                           std::string_view account_id, std::string_view owner_id) {
  Member m;
  m.account_id = std::string(account_id);
  m.is_owner = account_id == owner_id;
  RIS_TRY(m.role_ids, MembersRepository(store).role_ids(space_id, account_id));
  return m;
}

Result<SpaceAccess> load_access(store::Store& store, std::string_view space_id,
                                const Principal& caller) {
  if (space_id.empty() || (caller.token && caller.token->space_id != space_id))
    return no_such_space();
  RIS_TRY(auto space, SpacesRepository(store).header(space_id));
  if (!space)
    return no_such_space();
  SpaceAccess a;
  a.space_id = std::string(space_id);
  a.name = std::move(space->name);
  a.owner_id = std::move(space->owner_id);
  a.is_public = space->is_public;
  RIS_TRY(auto membership, MembersRepository(store).membership(a.space_id, caller.account_id));
  a.is_member = membership.has_value();
  if (!a.is_member && !a.is_public)
    return no_such_space();
  RIS_TRY(auto roles, load_roles(store, space_id));
  for (auto& r : roles) {
    if (r.id == a.space_id)
      a.everyone = std::move(r);
    else
      a.roles.push_back(std::move(r));
  }
  if (!a.is_member)
    return a;
  RIS_TRY(a.member, load_member(store, space_id, caller.account_id, a.owner_id));
  a.permissions = base_permissions(a.member, a.everyone, a.roles);
  // A timed-out member keeps reading but cannot act until the timeout ends.
  if (membership->muted_until && *membership->muted_until > now_rfc3339() && !a.member.is_owner &&
      (a.permissions & kAdministrator) == 0)
    a.ceiling &= kTimeoutAllowed;
  if (caller.token)
    a.ceiling &= caller.token->permissions;
  a.permissions &= a.ceiling;
  return a;
}

Result<void> require(const SpaceAccess& access, Permissions needed) {
  if (!access.is_member)
    return no_such_space();
  if (!access.has(needed)) {
    std::string names;
    for (const auto& n : permission_names(needed & ~access.permissions))
      names += (names.empty() ? "" : ", ") + n;
    return fail(Errc::forbidden, "missing permission " + names);
  }
  return {};
}

Result<Permissions> resource_permissions(store::Store& store, const SpaceAccess& access,
                                         std::string_view resource_type,
                                         std::string_view resource_id) {
  if (!access.is_member)
    return Permissions{0};
  RIS_TRY(auto overwrites,
          RolesRepository(store).overwrites(access.space_id, resource_type, resource_id));
  return identity::resource_permissions(access.member, access.everyone, access.roles, overwrites) &
         access.ceiling;
}

}  // namespace ris::identity
