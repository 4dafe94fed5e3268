#include "ris/identity/sessions.hpp"

#include <boost/json/array.hpp>

#include <chrono>

#include "ris/core/ids.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/jwt.hpp"
#include "ris/security/random.hpp"
#include "ris/security/secret_box.hpp"
#include "sessions_repository.hpp"

namespace ris::identity {
namespace {

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string rfc3339_in(int64_t seconds) {
  return to_rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}
Failure invalid_refresh() {
  return fail(Errc::unauthenticated, "invalid or expired refresh token");
}

// Re-seals, in one transaction, the stored keys `stale` picks; returns how many it rewrote.
Result<int> reseal_where(store::Store& store, const security::SecretBox& box,
                         bool (*stale)(const security::SecretBox&, std::string_view)) {
  int rewritten = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    rewritten = 0;  // the body may run again (Errc::busy)
    SessionsRepository sessions(tx);
    RIS_TRY(auto stored, sessions.all_signing_keys());
    for (const auto& k : stored) {
      if (!stale(box, k.private_pem))
        continue;
      RIS_TRY(std::string sealed, box.reseal(k.private_pem, kJwtPrivateKeyContext));
      RIS_TRY(const bool replaced, sessions.replace_private_pem(k.kid, k.private_pem, sealed));
      rewritten += replaced ? 1 : 0;
    }
    return {};
  }));
  return rewritten;
}

}  // namespace

Sessions::Sessions(store::Store& store, const security::SecretBox& box, SessionOptions options)
    : store_(store),
      box_(box),
      options_(std::move(options)),
      keys_(std::make_unique<security::JwtKeyRing>()) {}
Sessions::~Sessions() = default;

Result<int> Sessions::reseal(store::Store& store, const security::SecretBox& box) {
  return reseal_where(store, box, [](const security::SecretBox& b, std::string_view pem) {
    return !b.is_current(pem);
  });
}

// Retired keys stay in the ring while tokens they signed may still be alive.
Result<void> Sessions::init() {
  RIS_TRY(const int sealed,
          reseal_where(store_, box_, [](const security::SecretBox&, std::string_view pem) {
            return !security::is_sealed(pem);
          }));
  if (sealed > 0)
    log::info("secrets_sealed", {{"column", kJwtPrivateKeyContext}, {"count", sealed}});
  RIS_TRY(auto stored,
          SessionsRepository(store_).signing_keys(rfc3339_in(-options_.access_ttl_seconds)));
  std::string active;
  for (const auto& k : stored) {
    RIS_TRY(std::string pem, box_.open(k.private_pem, kJwtPrivateKeyContext));
    RIS_TRY(auto key, security::Ed25519Key::from_private_pem(pem));
    keys_->add({k.kid, std::move(key)});
    if (!k.retired)
      active = k.kid;
  }
  if (active.empty())
    return rotate_keys();
  return keys_->set_active(active);
}

Result<void> Sessions::rotate_keys() {
  RIS_TRY(auto key, security::Ed25519Key::generate());
  RIS_TRY(std::string pem, key.private_pem());
  RIS_TRY(std::string pub, key.public_pem());
  RIS_TRY(std::string sealed, box_.seal(pem, kJwtPrivateKeyContext));
  const std::string kid = new_id(), now = now_rfc3339();
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    return SessionsRepository(tx).replace_active_key(kid, sealed, pub, now);
  }));
  // Only once the key is stored: a retried or failed transaction leaves the ring as it was.
  keys_->add({kid, std::move(key)});
  return keys_->set_active(kid);
}

Result<TokenPair> Sessions::issue_in_family(store::Store& tx, const Account& a,
                                            const std::string& family) {
  const int64_t now = now_seconds();
  boost::json::array roles;
  for (const auto& r : a.app_roles)
    roles.emplace_back(r);
  boost::json::object claims{{"iss", options_.issuer},
                             {"aud", options_.issuer},
                             {"sub", a.id},
                             {"name", a.username},
                             {"roles", roles},
                             {"iat", now},
                             {"nbf", now},
                             {"exp", now + options_.access_ttl_seconds},
                             {"jti", new_id()}};
  TokenPair p;
  RIS_TRY(p.access_token, keys_->sign(claims));
  p.expires_in = options_.access_ttl_seconds;
  p.refresh_token = security::random_token(32);
  p.refresh_expires_in = options_.refresh_ttl_seconds;
  StoredRefreshToken stored;
  stored.id = new_id();
  stored.family_id = family;
  stored.account_id = a.id;
  stored.token_hash = security::sha256_hex(p.refresh_token);
  stored.created_at = now_rfc3339();
  stored.expires_at = rfc3339_in(options_.refresh_ttl_seconds);
  RIS_TRY_VOID(SessionsRepository(tx).insert_refresh(stored));
  return p;
}

Result<TokenPair> Sessions::issue(const Account& account) {
  return issue_in_family(store_, account, new_id());
}

Result<TokenPair> Sessions::refresh(std::string_view refresh_token) {
  if (refresh_token.empty() || refresh_token.size() > 128)
    return invalid_refresh();
  std::optional<TokenPair> out;
  bool reused = false;
  auto r = store_.transaction([&](store::Store& tx) -> Result<void> {
    // The store may run this body again (Errc::busy): start from a clean slate each time.
    out.reset();
    reused = false;
    SessionsRepository sessions(tx);
    RIS_TRY(auto token, sessions.find_refresh(security::sha256_hex(refresh_token)));
    if (!token || token->revoked_at)
      return invalid_refresh();
    if (token->used_at) {
      // Reuse of a rotated token: someone else holds a copy. End the whole sign-in.
      RIS_TRY_VOID(sessions.revoke_family(token->family_id, now_rfc3339()));
      reused = true;
      return {};
    }
    if (token->expires_at <= now_rfc3339())
      return invalid_refresh();
    RIS_TRY_VOID(sessions.mark_refresh_used(token->id, now_rfc3339()));
    RIS_TRY(Account account, find_account(tx, token->account_id));
    RIS_TRY(TokenPair pair, issue_in_family(tx, account, token->family_id));
    out = std::move(pair);
    return {};
  });
  if (!r)
    return fail(r.error());
  if (reused)
    return fail(Errc::unauthenticated,
                "refresh token reused: every session of this sign-in is revoked");
  return std::move(*out);
}

Result<void> Sessions::logout(std::string_view refresh_token) {
  SessionsRepository sessions(store_);
  RIS_TRY(auto token, sessions.find_refresh(security::sha256_hex(refresh_token)));
  if (!token)
    return invalid_refresh();
  return sessions.revoke_family(token->family_id, now_rfc3339());
}

Result<void> Sessions::revoke_all(std::string_view account_id) {
  return SessionsRepository(store_).revoke_account(account_id, now_rfc3339());
}

Result<AccessClaims> Sessions::verify(std::string_view access_token) const {
  RIS_TRY(auto claims,
          keys_->verify(access_token, now_seconds(), options_.issuer, options_.issuer));
  AccessClaims c;
  if (auto* sub = claims.if_contains("sub"); sub && sub->is_string())
    c.account_id = std::string(sub->as_string());
  if (auto* name = claims.if_contains("name"); name && name->is_string())
    c.username = std::string(name->as_string());
  if (auto* roles = claims.if_contains("roles"); roles && roles->is_array())
    for (const auto& v : roles->as_array())
      if (v.is_string())
        c.app_roles.emplace_back(v.as_string());
  if (auto* exp = claims.if_contains("exp"); exp && exp->is_int64())
    c.expires_at = exp->as_int64();
  if (c.account_id.empty())
    return fail(Errc::unauthenticated, "token has no subject");
  return c;
}

boost::json::object Sessions::jwks() const {
  return keys_->jwks();
}

}  // namespace ris::identity
