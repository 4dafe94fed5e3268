// Who is calling and what they may do in a space. Every API handler starts here: it loads the
// caller's access to the space in the path and asks for the permission it needs.
//
// Isolation rule: a space the caller cannot see (it does not exist, it is private and they are
// not a member, or an API token is bound to another space) is Errc::not_found, never forbidden,
// so ids leak nothing. Forbidden is only for members who lack a permission.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/permissions.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

// A credential confined to one space and a subset of its creator's permissions.
struct ApiTokenScope {
  std::string id;
  std::string space_id;
  Permissions permissions = 0;
};

struct Principal {
  std::string account_id;
  std::vector<std::string> app_roles;
  std::optional<ApiTokenScope> token;  // set when the caller used an API token
  bool has_app_role(std::string_view role) const;
};

struct SpaceAccess {
  std::string space_id, owner_id, name;
  bool is_public = false;
  bool is_member = false;
  Member member;                // the caller as a member (valid when is_member)
  Role everyone;                // the @everyone role (id = space id)
  std::vector<Role> roles;      // every other role of the space
  Permissions permissions = 0;  // base permissions in the space (0 for non-members)
  // What the credential and the member's state allow at most: an API token's scope, a timeout.
  Permissions ceiling = ~Permissions{0};

  bool has(Permissions p) const { return (permissions & p) == p; }
  int highest_position() const;
};

// Not found unless the space exists and the caller may see it (a member, or the space is public).
Result<SpaceAccess> load_access(store::Store& store, std::string_view space_id,
                                const Principal& caller);
// Members only (a non-member gets not_found); then the permission, else forbidden naming it.
Result<void> require(const SpaceAccess& access, Permissions needed);
// The caller's permissions on one resource, with its overwrites applied (Discord's order).
Result<Permissions> resource_permissions(store::Store& store, const SpaceAccess& access,
                                         std::string_view resource_type,
                                         std::string_view resource_id);
// Roles and members of a space as the engine wants them (helpers for the repositories).
Result<std::vector<Role>> load_roles(store::Store& store, std::string_view space_id);
Result<Member> load_member(store::Store& store, std::string_view space_id,
                           std::string_view account_id, std::string_view owner_id);

}  // namespace ris::identity
