// The SQL of a space's members: space_members, the roles they hold (member_roles) and bans.
// Private to the identity module; construct it over the store or over a transaction's Store&.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/members.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

// A member's own row, as access checks read it.
struct Membership {
  std::optional<std::string> muted_until;  // RFC 3339; nullopt: no timeout
};

class MembersRepository {
 public:
  explicit MembersRepository(store::Store& store) : store_(store) {}

  // Members with their account names and role ids (sorted), by username. is_owner is left
  // false: the caller knows the owner.
  Result<std::vector<MemberView>> list(std::string_view space_id);
  Result<std::optional<MemberView>> get(std::string_view space_id, std::string_view account_id);
  Result<std::optional<Membership>> membership(std::string_view space_id,
                                               std::string_view account_id);
  Result<bool> is_member(std::string_view space_id, std::string_view account_id);
  // How many spaces the account is a member of.
  Result<int64_t> count_spaces_of(std::string_view account_id);

  Result<void> insert(std::string_view space_id, std::string_view account_id,
                      std::string_view joined_at);
  Result<void> remove(std::string_view space_id, std::string_view account_id);
  Result<void> set_muted_until(std::string_view space_id, std::string_view account_id,
                               const std::optional<std::string>& until);
  Result<void> set_nickname(std::string_view space_id, std::string_view account_id,
                            std::string_view nickname);

  // The member's role ids (without @everyone), sorted.
  Result<std::vector<std::string>> role_ids(std::string_view space_id, std::string_view account_id);
  // Adding a role the member already has changes nothing.
  Result<void> add_role(std::string_view space_id, std::string_view account_id,
                        std::string_view role_id);
  Result<void> remove_role(std::string_view space_id, std::string_view account_id,
                           std::string_view role_id);

  Result<bool> is_banned(std::string_view space_id, std::string_view account_id);
  // A second ban of the same account replaces the reason.
  Result<void> upsert_ban(std::string_view space_id, const Ban& ban);
  // False when there was no such ban.
  Result<bool> remove_ban(std::string_view space_id, std::string_view account_id);
  // Newest first.
  Result<std::vector<Ban>> bans(std::string_view space_id);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
