#include "ris/identity/two_factor.hpp"

#include <chrono>

#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/secret_box.hpp"
#include "ris/security/totp.hpp"
#include "two_factor_repository.hpp"

namespace ris::identity {
namespace {
int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
Failure wrong_code() {
  return fail(Errc::unauthenticated, "invalid two-factor code");
}

// Re-seals, in one transaction, the stored secrets `stale` picks; returns how many it rewrote.
Result<int> reseal_where(store::Store& store, const security::SecretBox& box,
                         bool (*stale)(const security::SecretBox&, std::string_view)) {
  int rewritten = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    rewritten = 0;  // the body may run again (Errc::busy)
    TwoFactorRepository two_factor(tx);
    RIS_TRY(auto stored, two_factor.secrets());
    for (const auto& s : stored) {
      if (!stale(box, s.secret))
        continue;
      RIS_TRY(std::string sealed, box.reseal(s.secret, kTotpSecretContext));
      RIS_TRY(const bool replaced, two_factor.replace_secret(s.account_id, s.secret, sealed));
      rewritten += replaced ? 1 : 0;
    }
    return {};
  }));
  return rewritten;
}
}  // namespace

Result<int> TwoFactor::seal_plaintext() {
  RIS_TRY(const int n,
          reseal_where(store_, box_, [](const security::SecretBox&, std::string_view v) {
            return !security::is_sealed(v);
          }));
  if (n > 0)
    log::info("secrets_sealed", {{"column", kTotpSecretContext}, {"count", n}});
  return n;
}

Result<int> TwoFactor::reseal(store::Store& store, const security::SecretBox& box) {
  return reseal_where(store, box, [](const security::SecretBox& b, std::string_view v) {
    return !b.is_current(v);
  });
}

Result<TotpEnrolment> TwoFactor::begin(std::string_view account_id, std::string_view password) {
  RIS_TRY_VOID(accounts_.check_password(account_id, password));
  RIS_TRY(Account a, accounts_.find(account_id));
  if (a.totp_enabled)
    return fail(Errc::conflict, "two-factor sign-in is already enabled; disable it first");
  TotpEnrolment e;
  e.secret = security::new_totp_secret();
  e.uri = security::totp_uri(issuer_, a.username, e.secret);
  RIS_TRY(std::string sealed, box_.seal(e.secret, kTotpSecretContext));
  RIS_TRY_VOID(TwoFactorRepository(store_).set_pending_secret(account_id, sealed));
  return e;
}

Result<std::vector<std::string>> TwoFactor::confirm(std::string_view account_id,
                                                    std::string_view code) {
  RIS_TRY(auto state, TwoFactorRepository(store_).state(account_id));
  if (!state || !state->secret)
    return fail(Errc::conflict, "start two-factor enrolment first");
  if (state->enabled)
    return fail(Errc::conflict, "two-factor sign-in is already enabled");
  RIS_TRY(std::string secret, box_.open(*state->secret, kTotpSecretContext));
  RIS_TRY(auto step, security::totp_verify(secret, code, unix_now(), 0));
  if (!step)
    return wrong_code();
  auto codes = security::new_recovery_codes(10);
  std::vector<std::string> hashes;
  hashes.reserve(codes.size());
  for (const auto& c : codes)
    hashes.push_back(security::sha256_hex(security::normalize_recovery_code(c)));
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    TwoFactorRepository two_factor(tx);
    RIS_TRY_VOID(two_factor.enable(account_id, *step));
    return two_factor.replace_recovery_codes(account_id, hashes);
  }));
  return codes;
}

Result<void> TwoFactor::disable(std::string_view account_id, std::string_view password,
                                std::string_view code) {
  RIS_TRY_VOID(accounts_.check_password(account_id, password));
  RIS_TRY_VOID(check(account_id, code));
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    TwoFactorRepository two_factor(tx);
    RIS_TRY_VOID(two_factor.disable(account_id));
    return two_factor.delete_recovery_codes(account_id);
  });
}

Result<void> TwoFactor::check(std::string_view account_id, std::string_view code) {
  return check(account_id, code, unix_now());
}

Result<void> TwoFactor::check(std::string_view account_id, std::string_view code,
                              int64_t unix_seconds) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    TwoFactorRepository two_factor(tx);
    RIS_TRY(auto state, two_factor.state(account_id));
    if (!state || !state->enabled)
      return wrong_code();
    if (code.size() == 6) {
      if (!state->secret)
        return wrong_code();
      RIS_TRY(std::string secret, box_.open(*state->secret, kTotpSecretContext));
      RIS_TRY(auto step, security::totp_verify(secret, code, unix_seconds, state->last_step));
      if (!step)
        return wrong_code();
      return two_factor.set_last_step(account_id, *step);
    }
    const std::string hash = security::sha256_hex(security::normalize_recovery_code(code));
    RIS_TRY(const bool used, two_factor.use_recovery_code(account_id, hash, now_rfc3339()));
    if (!used)
      return wrong_code();
    return {};
  });
}

}  // namespace ris::identity
