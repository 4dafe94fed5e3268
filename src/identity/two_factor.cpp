#include "ris/identity/two_factor.hpp"

#include <chrono>

#include "ris/core/time.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/totp.hpp"

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
}  // namespace

Result<TotpEnrolment> TwoFactor::begin(std::string_view account_id, std::string_view password) {
  RIS_TRY_VOID(accounts_.check_password(account_id, password));
  RIS_TRY(Account a, accounts_.find(account_id));
  if (a.totp_enabled)
    return fail(Errc::conflict, "two-factor sign-in is already enabled; disable it first");
  TotpEnrolment e;
  e.secret = security::new_totp_secret();
  e.uri = security::totp_uri(issuer_, a.username, e.secret);
  RIS_TRY_VOID(store_.query("UPDATE accounts SET totp_secret = ?, totp_last_step = 0 WHERE id = ?",
                            {e.secret, std::string(account_id)}));
  return e;
}

Result<std::vector<std::string>> TwoFactor::confirm(std::string_view account_id,
                                                    std::string_view code) {
  RIS_TRY(auto rows, store_.query("SELECT totp_secret, totp_enabled FROM accounts WHERE id = ?",
                                  {std::string(account_id)}));
  if (rows.rows.empty() || rows.rows[0].is_null("totp_secret"))
    return fail(Errc::conflict, "start two-factor enrolment first");
  if (rows.rows[0].get<int64_t>("totp_enabled") != 0)
    return fail(Errc::conflict, "two-factor sign-in is already enabled");
  RIS_TRY(auto step,
          security::totp_verify(rows.rows[0].get<std::string>("totp_secret"), code, unix_now(), 0));
  if (!step)
    return wrong_code();
  auto codes = security::new_recovery_codes(10);
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("UPDATE accounts SET totp_enabled = 1, totp_last_step = ? WHERE id = ?",
                          {*step, std::string(account_id)}));
    RIS_TRY_VOID(
        tx.query("DELETE FROM recovery_codes WHERE account_id = ?", {std::string(account_id)}));
    for (const auto& c : codes)
      RIS_TRY_VOID(tx.query(
          "INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
          {std::string(account_id), security::sha256_hex(security::normalize_recovery_code(c))}));
    return {};
  }));
  return codes;
}

Result<void> TwoFactor::disable(std::string_view account_id, std::string_view password,
                                std::string_view code) {
  RIS_TRY_VOID(accounts_.check_password(account_id, password));
  RIS_TRY_VOID(check(account_id, code));
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("UPDATE accounts SET totp_enabled = 0, totp_secret = NULL WHERE id = ?",
                          {std::string(account_id)}));
    RIS_TRY_VOID(
        tx.query("DELETE FROM recovery_codes WHERE account_id = ?", {std::string(account_id)}));
    return {};
  }));
  return {};
}

Result<void> TwoFactor::check(std::string_view account_id, std::string_view code) {
  return check(account_id, code, unix_now());
}

Result<void> TwoFactor::check(std::string_view account_id, std::string_view code,
                              int64_t unix_seconds) {
  const std::string id(account_id);
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(
        auto rows,
        tx.query(
            "SELECT totp_secret, totp_last_step FROM accounts WHERE id = ? AND totp_enabled = 1",
            {id}));
    if (rows.rows.empty())
      return wrong_code();
    if (code.size() == 6) {
      RIS_TRY(auto step, security::totp_verify(rows.rows[0].get<std::string>(0), code, unix_seconds,
                                               rows.rows[0].get<int64_t>(1)));
      if (!step)
        return wrong_code();
      RIS_TRY_VOID(tx.query("UPDATE accounts SET totp_last_step = ? WHERE id = ?", {*step, id}));
      return {};
    }
    const std::string hash = security::sha256_hex(security::normalize_recovery_code(code));
    RIS_TRY(auto used,
            tx.query("UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? "
                     "AND used_at IS NULL RETURNING code_hash",
                     {now_rfc3339(), id, hash}));
    if (used.rows.empty())
      return wrong_code();
    return {};
  });
}

}  // namespace ris::identity
