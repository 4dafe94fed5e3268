// The SQL of a space's roles and of the permission overwrites on its resources (tables roles,
// permission_overwrites). Private to the identity module; construct it over the store or over
// a transaction's Store&. Permission bits are stored as 64-bit integers (BIGINT on PostgreSQL).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/permissions.hpp"
#include "ris/identity/roles.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct StoredRole {
  std::string id, space_id, name, color;
  int64_t position = 0;
  Permissions permissions = 0;
  std::string created_at;
};

class RolesRepository {
 public:
  explicit RolesRepository(store::Store& store) : store_(store) {}

  // Highest first (ties by id); is_everyone set for the role whose id is the space's.
  Result<std::vector<RoleView>> list(std::string_view space_id);
  Result<std::optional<RoleView>> find(std::string_view space_id, std::string_view role_id);
  // Every role of the space as the permission engine wants them, lowest first.
  Result<std::vector<Role>> engine_roles(std::string_view space_id);
  Result<int64_t> count(std::string_view space_id);

  Result<void> insert(const StoredRole& role);
  // Moves every role above @everyone up by one, freeing position 1.
  Result<void> make_room_at_bottom(std::string_view space_id);
  Result<void> set_name(std::string_view role_id, std::string_view name);
  Result<void> set_color(std::string_view role_id, std::string_view color);
  Result<void> set_permissions(std::string_view role_id, Permissions permissions);
  Result<void> set_position(std::string_view role_id, int64_t position);
  // Deletes the role and the overwrites that name it, and closes the gap it leaves in the
  // positions (several statements: call it inside a transaction).
  Result<void> remove(std::string_view space_id, std::string_view role_id, int64_t position);

  // A resource's overwrites, by target kind and id.
  Result<std::vector<Overwrite>> overwrites(std::string_view space_id,
                                            std::string_view resource_type,
                                            std::string_view resource_id);
  // Creates or replaces the overwrite for (resource, target).
  Result<void> upsert_overwrite(std::string_view space_id, std::string_view resource_type,
                                std::string_view resource_id, const Overwrite& overwrite);
  Result<void> delete_overwrite(std::string_view space_id, std::string_view resource_type,
                                std::string_view resource_id, Overwrite::Kind kind,
                                std::string_view target_id);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
