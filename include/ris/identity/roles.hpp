// A space's roles and the permission overwrites on its resources. @everyone (id = space id,
// position 0) always exists: its permissions can change, its name and position cannot, and it
// cannot be deleted. Nobody edits a role at or above their own highest role, or grants bits
// they do not hold.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct RoleView {
  std::string id, name, color;
  int position = 0;
  Permissions permissions = 0;
  bool is_everyone = false;
};

struct RoleChanges {
  std::optional<std::string> name, color;
  std::optional<Permissions> permissions;
};

struct OverwriteView {
  std::string resource_type, resource_id;
  Overwrite overwrite;
};

class Roles {
 public:
  explicit Roles(store::Store& store) : store_(store) {}
  Result<std::vector<RoleView>> list(const SpaceAccess& access);  // highest first
  // New roles go just above @everyone.
  Result<RoleView> create(const SpaceAccess& access, std::string name, Permissions permissions,
                          std::string color);
  Result<RoleView> update(const SpaceAccess& access, std::string_view role_id,
                          const RoleChanges& changes);
  Result<void> remove(const SpaceAccess& access, std::string_view role_id);
  // Sets the given roles' positions (1 is the lowest above @everyone). Each moved role must be
  // manageable by the caller, and none may land at or above the caller's highest role.
  Result<std::vector<RoleView>> reorder(const SpaceAccess& access,
                                        const std::vector<std::pair<std::string, int>>& positions);

  // Overwrites on a resource ("channel", "agent_group", …); MANAGE_ROLES, and only bits the
  // caller holds. Setting allow = deny = 0 removes the overwrite.
  Result<void> set_overwrite(const SpaceAccess& access, std::string_view resource_type,
                             std::string_view resource_id, const Overwrite& overwrite);
  Result<std::vector<OverwriteView>> overwrites(const SpaceAccess& access,
                                                std::string_view resource_type,
                                                std::string_view resource_id);

 private:
  Result<RoleView> find(const SpaceAccess& access, std::string_view role_id);
  store::Store& store_;
};

}  // namespace ris::identity
