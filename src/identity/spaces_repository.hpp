// The SQL of spaces (table spaces). Private to the identity module; construct it over the
// store or over a transaction's Store&. Members, roles and bans have their own repositories.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/spaces.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

// The few columns every access check reads.
struct SpaceHeader {
  std::string name, owner_id;
  bool is_public = false;
};

class SpacesRepository {
 public:
  explicit SpacesRepository(store::Store& store) : store_(store) {}

  // `space.member_count` is ignored.
  Result<void> insert(const Space& space);
  Result<std::optional<Space>> find(std::string_view id);
  Result<std::optional<SpaceHeader>> header(std::string_view id);
  // Public spaces whose name or description contains `text` (case-insensitively), newest first.
  Result<std::vector<Space>> browse_public(std::string_view text, int64_t limit);
  // The spaces the account is a member of, oldest first.
  Result<std::vector<Space>> of_account(std::string_view account_id);
  // Names of the spaces the account owns, by name.
  Result<std::vector<std::string>> names_owned_by(std::string_view account_id);

  // Applies the fields that are set.
  Result<void> update(std::string_view id, const SpaceChanges& changes);
  Result<void> set_owner(std::string_view id, std::string_view owner_id);
  // Cascades to members, roles, invitations, bans, tokens. False when there was no such space.
  Result<bool> remove(std::string_view id);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
