// Invitations into a space: a short code, optional expiry and use limit, revocable. Accepting
// one is how private spaces gain members (and, with signup=invite, how accounts are made).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

struct Invitation {
  std::string code, space_id, space_name, created_by, created_at;
  std::optional<std::string> expires_at, revoked_at;
  int64_t max_uses = 0, uses = 0;  // max_uses 0: unlimited
};

class Invitations {
 public:
  explicit Invitations(store::Store& store) : store_(store) {}
  // CREATE_INVITE. ttl 0: never expires.
  Result<Invitation> create(const SpaceAccess& access, int64_t ttl_seconds, int64_t max_uses);
  Result<std::vector<Invitation>> list(const SpaceAccess& access);  // MANAGE_SPACE
  // The creator, or MANAGE_SPACE.
  Result<void> revoke(const SpaceAccess& access, std::string_view code);
  // A usable invitation (exists, not expired, revoked or used up) — else not_found.
  Result<Invitation> peek(std::string_view code);
  // Joins the invitation's space; returns its id. Bans and the per-account limit apply.
  Result<std::string> accept(std::string_view account_id, std::string_view code);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
