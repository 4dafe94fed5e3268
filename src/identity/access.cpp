#include "ris/identity/access.hpp"

#include <algorithm>

#include "ris/core/time.hpp"

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
  RIS_TRY(auto rows,
          store.query(
              "SELECT id, position, permissions FROM roles WHERE space_id = ? ORDER BY position",
              {std::string(space_id)}));
  std::vector<Role> roles;
  roles.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    roles.push_back(Role{r.get<std::string>(0), static_cast<int>(r.get<int64_t>(1)),
                         static_cast<Permissions>(r.get<int64_t>(2))});
  return roles;
}

Result<Member> load_member(store::Store& store, std::string_view space_id,
                           std::string_view account_id, std::string_view owner_id) {
  RIS_TRY(auto rows,
          store.query("SELECT role_id FROM member_roles WHERE space_id = ? AND account_id = ?",
                      {std::string(space_id), std::string(account_id)}));
  Member m;
  m.account_id = std::string(account_id);
  m.is_owner = account_id == owner_id;
  for (const auto& r : rows.rows)
    m.role_ids.push_back(r.get<std::string>(0));
  return m;
}

Result<SpaceAccess> load_access(store::Store& store, std::string_view space_id,
                                const Principal& caller) {
  if (space_id.empty() || (caller.token && caller.token->space_id != space_id))
    return no_such_space();
  RIS_TRY(auto spaces, store.query("SELECT name, owner_id, is_public FROM spaces WHERE id = ?",
                                   {std::string(space_id)}));
  if (spaces.rows.empty())
    return no_such_space();
  SpaceAccess a;
  a.space_id = std::string(space_id);
  a.name = spaces.rows[0].get<std::string>(0);
  a.owner_id = spaces.rows[0].get<std::string>(1);
  a.is_public = spaces.rows[0].get<int64_t>(2) != 0;
  RIS_TRY(auto member,
          store.query("SELECT muted_until FROM space_members WHERE space_id = ? AND account_id = ?",
                      {a.space_id, caller.account_id}));
  a.is_member = !member.rows.empty();
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
  if (!member.rows[0].is_null("muted_until") &&
      member.rows[0].get<std::string>("muted_until") > now_rfc3339() && !a.member.is_owner &&
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
  RIS_TRY(auto rows,
          store.query("SELECT target_kind, target_id, allow, deny FROM permission_overwrites "
                      "WHERE space_id = ? AND resource_type = ? AND resource_id = ?",
                      {access.space_id, std::string(resource_type), std::string(resource_id)}));
  std::vector<Overwrite> overwrites;
  for (const auto& r : rows.rows)
    overwrites.push_back(
        Overwrite{r.get<std::string>(0) == "role" ? Overwrite::Kind::role : Overwrite::Kind::member,
                  r.get<std::string>(1), static_cast<Permissions>(r.get<int64_t>(2)),
                  static_cast<Permissions>(r.get<int64_t>(3))});
  return identity::resource_permissions(access.member, access.everyone, access.roles, overwrites) &
         access.ceiling;
}

}  // namespace ris::identity
