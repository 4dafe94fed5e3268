#include "ris/identity/invitations.hpp"

#include <chrono>

#include "ris/core/time.hpp"
#include "ris/identity/spaces.hpp"
#include "ris/security/random.hpp"

namespace ris::identity {
namespace {
constexpr std::string_view kSelect =
    "SELECT i.code, i.space_id, s.name AS space_name, i.created_by, i.created_at, i.expires_at, "
    "i.revoked_at, "
    "i.max_uses, i.uses FROM invitations i JOIN spaces s ON s.id = i.space_id ";

Invitation from_row(const store::Row& r) {
  Invitation i;
  i.code = r.get<std::string>("code");
  i.space_id = r.get<std::string>("space_id");
  i.space_name = r.get<std::string>("space_name");
  i.created_by = r.get<std::string>("created_by");
  i.created_at = r.get<std::string>("created_at");
  if (!r.is_null("expires_at"))
    i.expires_at = r.get<std::string>("expires_at");
  if (!r.is_null("revoked_at"))
    i.revoked_at = r.get<std::string>("revoked_at");
  i.max_uses = r.get<int64_t>("max_uses");
  i.uses = r.get<int64_t>("uses");
  return i;
}

Result<Invitation> usable(store::Store& s, std::string_view code) {
  const Failure gone =
      fail(Errc::not_found, "no such invitation, or it has expired or been used up");
  if (code.empty() || code.size() > 64)
    return gone;
  RIS_TRY(auto rows, s.query(std::string(kSelect) + "WHERE i.code = ?", {std::string(code)}));
  if (rows.rows.empty())
    return gone;
  Invitation i = from_row(rows.rows[0]);
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
  RIS_TRY_VOID(store_.query(
      "INSERT INTO invitations (code, space_id, created_by, created_at, expires_at, max_uses) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {code, access.space_id, access.member.account_id, now_rfc3339(),
       expires ? store::Value(*expires) : store::Value(), max_uses}));
  return usable(store_, code);
}

Result<std::vector<Invitation>> Invitations::list(const SpaceAccess& access) {
  RIS_TRY_VOID(require(access, kManageSpace));
  RIS_TRY(auto rows,
          store_.query(std::string(kSelect) + "WHERE i.space_id = ? ORDER BY i.created_at DESC",
                       {access.space_id}));
  std::vector<Invitation> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<void> Invitations::revoke(const SpaceAccess& access, std::string_view code) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(auto rows,
          store_.query("SELECT created_by FROM invitations WHERE code = ? AND space_id = ?",
                       {std::string(code), access.space_id}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such invitation");
  if (rows.rows[0].get<std::string>(0) != access.member.account_id)
    RIS_TRY_VOID(require(access, kManageSpace));
  RIS_TRY_VOID(
      store_.query("UPDATE invitations SET revoked_at = COALESCE(revoked_at, ?) WHERE code = ?",
                   {now_rfc3339(), std::string(code)}));
  return {};
}

Result<Invitation> Invitations::peek(std::string_view code) {
  return usable(store_, code);
}

Result<std::string> Invitations::accept(std::string_view account_id, std::string_view code) {
  std::string space;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto inv, usable(tx, code));
    RIS_TRY_VOID(add_member(tx, inv.space_id, account_id));
    RIS_TRY_VOID(tx.query("UPDATE invitations SET uses = uses + 1 WHERE code = ?", {inv.code}));
    space = inv.space_id;
    return {};
  }));
  return space;
}

}  // namespace ris::identity
