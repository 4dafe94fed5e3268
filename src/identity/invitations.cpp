#include "ris/identity/invitations.hpp"

#include <chrono>

#include "invitations_repository.hpp"
#include "ris/core/time.hpp"
#include "ris/identity/spaces.hpp"
#include "ris/security/random.hpp"

namespace ris::identity {
namespace {
Result<Invitation> usable(store::Store& s, std::string_view code) {
  const Failure gone =
      fail(Errc::not_found, "no such invitation, or it has expired or been used up");
  if (code.empty() || code.size() > 64)
    return gone;
  RIS_TRY(auto found, InvitationsRepository(s).find(code));
  if (!found)
    return gone;
  Invitation i = std::move(*found);
  if (i.revoked_at || (i.expires_at && *i.expires_at <= now_rfc3339()) ||
      (i.max_uses > 0 && i.uses >= i.max_uses))
    return gone;
  return i;
}
}  // namespace

Result<Invitation> Invitations::create(const SpaceAccess& access, int64_t ttl_seconds,
                                       int64_t max_uses) {
  RIS_TRY_VOID(require(access, kCreateInvite));
  if (ttl_seconds < 0 || max_uses < 0)
    return fail(Errc::invalid_argument, "ttl_seconds and max_uses must not be negative");
  const std::string code = security::random_token(9);  // 12 characters, 72 bits
  std::optional<std::string> expires;
  if (ttl_seconds > 0)
    expires = to_rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(ttl_seconds));
  Invitation invitation;
  invitation.code = code;
  invitation.space_id = access.space_id;
  invitation.created_by = access.member.account_id;
  invitation.created_at = now_rfc3339();
  invitation.expires_at = std::move(expires);
  invitation.max_uses = max_uses;
  RIS_TRY_VOID(InvitationsRepository(store_).insert(invitation));
  return usable(store_, code);
}

Result<std::vector<Invitation>> Invitations::list(const SpaceAccess& access) {
  RIS_TRY_VOID(require(access, kManageSpace));
  return InvitationsRepository(store_).of_space(access.space_id);
}

Result<void> Invitations::revoke(const SpaceAccess& access, std::string_view code) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  InvitationsRepository invitations(store_);
  RIS_TRY(auto creator, invitations.creator(code, access.space_id));
  if (!creator)
    return fail(Errc::not_found, "no such invitation");
  if (*creator != access.member.account_id)
    RIS_TRY_VOID(require(access, kManageSpace));
  return invitations.revoke(code, now_rfc3339());
}

Result<Invitation> Invitations::peek(std::string_view code) {
  return usable(store_, code);
}

Result<std::string> Invitations::accept(std::string_view account_id, std::string_view code) {
  std::string space;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    space.clear();  // the store may run this body again (Errc::busy)
    RIS_TRY(auto inv, usable(tx, code));
    RIS_TRY_VOID(add_member(tx, inv.space_id, account_id));
    RIS_TRY_VOID(InvitationsRepository(tx).count_use(inv.code));
    space = inv.space_id;
    return {};
  }));
  return space;
}

}  // namespace ris::identity
