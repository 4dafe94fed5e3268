// Spaces: the unit of tenancy (RIS's tenant, Beep's server, Discord's guild). Creating one
// makes the creator its owner and creates its @everyone role (whose id is the space's id).
// Membership: join public spaces or through an invitation, leave, and the limits of seed 003.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

inline constexpr int kMaxSpacesPerAccount = 50;  // seed 003's throttle

struct Space {
  std::string id, name, description, owner_id, created_at;
  bool is_public = false;
  int64_t member_count = 0;
};

struct SpaceChanges {
  std::optional<std::string> name, description;
  std::optional<bool> is_public;
};

class Spaces {
 public:
  explicit Spaces(store::Store& store) : store_(store) {}
  Result<Space> create(const Principal& caller, std::string name, std::string description,
                       bool is_public);
  Result<Space> get(const SpaceAccess& access);
  Result<Space> update(const SpaceAccess& access, const SpaceChanges& changes);  // MANAGE_SPACE
  Result<void> remove(const SpaceAccess& access);                                // owner only
  // Instance moderation (ServerModerator): deletes any space; the caller checks the role.
  Result<void> remove_any(std::string_view space_id);
  Result<void> transfer(const SpaceAccess& access, std::string_view new_owner_id);  // owner only
  // Public spaces whose name or description contains `query` (case-insensitive), newest first.
  Result<std::vector<Space>> browse(std::string_view query, int limit);
  Result<std::vector<Space>> of_account(std::string_view account_id);
  // Joins a public space (a banned account is refused).
  Result<void> join(const Principal& caller, std::string_view space_id);
  // The owner cannot leave: hand the space over or delete it first.
  Result<void> leave(const SpaceAccess& access);

 private:
  store::Store& store_;
};

// Adds a member inside a transaction, enforcing bans and kMaxSpacesPerAccount (shared with
// invitations).
Result<void> add_member(store::Store& tx, std::string_view space_id, std::string_view account_id);
Result<void> validate_space_name(std::string_view name);

}  // namespace ris::identity
