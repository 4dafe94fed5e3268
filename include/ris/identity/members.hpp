// A space's members and moderation: list, kick, ban (with reason) and unban, timeout, roles on
// members, nicknames. Every action checks the permission and the role hierarchy: a member acts
// only on members whose highest role is strictly below their own, and never on the owner.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct MemberView {
  std::string account_id, username, display_name, nickname, joined_at;
  std::optional<std::string> muted_until;
  std::vector<std::string> role_ids;
  bool is_owner = false;
};

struct Ban {
  std::string account_id, reason, banned_by, banned_at;
};

class Members {
 public:
  explicit Members(store::Store& store) : store_(store) {}
  Result<std::vector<MemberView>> list(const SpaceAccess& access);
  Result<MemberView> get(const SpaceAccess& access, std::string_view account_id);
  Result<void> kick(const SpaceAccess& access, std::string_view account_id);
  Result<void> ban(const SpaceAccess& access, std::string_view account_id, std::string_view reason);
  Result<void> unban(const SpaceAccess& access, std::string_view account_id);
  Result<std::vector<Ban>> bans(const SpaceAccess& access);
  // `until` RFC 3339 in the future, or nullopt to lift the timeout.
  Result<void> timeout(const SpaceAccess& access, std::string_view account_id,
                       std::optional<std::string> until);
  Result<void> add_role(const SpaceAccess& access, std::string_view account_id,
                        std::string_view role_id);
  Result<void> remove_role(const SpaceAccess& access, std::string_view account_id,
                           std::string_view role_id);
  Result<void> set_nickname(const SpaceAccess& access, std::string_view account_id,
                            std::string_view nickname);

 private:
  // The target as a member, after checking `needed` and that the caller outranks them.
  Result<Member> manageable(const SpaceAccess& access, std::string_view account_id,
                            Permissions needed);
  store::Store& store_;
};

}  // namespace ris::identity
