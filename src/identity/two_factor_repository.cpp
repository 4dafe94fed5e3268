// SQL for the TOTP columns of accounts and for recovery_codes. Portable SQL only (SQLite and
// PostgreSQL 15).
#include "two_factor_repository.hpp"

namespace ris::identity {

Result<std::optional<TotpState>> TwoFactorRepository::state(std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("SELECT totp_secret, totp_enabled, totp_last_step FROM accounts "
                                  "WHERE id = ?",
                                  {std::string(account_id)}));
  if (rows.rows.empty())
    return std::optional<TotpState>();
  const auto& r = rows.rows[0];
  TotpState s;
  s.secret = r.get_optional<std::string>("totp_secret");
  s.enabled = r.get<int64_t>("totp_enabled") != 0;
  s.last_step = r.get<int64_t>("totp_last_step");
  return std::optional<TotpState>(std::move(s));
}

Result<void> TwoFactorRepository::set_pending_secret(std::string_view account_id,
                                                     std::string_view secret) {
  RIS_TRY_VOID(store_.query("UPDATE accounts SET totp_secret = ?, totp_last_step = 0 WHERE id = ?",
                            {std::string(secret), std::string(account_id)}));
  return {};
}

Result<void> TwoFactorRepository::enable(std::string_view account_id, int64_t step) {
  RIS_TRY_VOID(store_.query("UPDATE accounts SET totp_enabled = 1, totp_last_step = ? WHERE id = ?",
                            {step, std::string(account_id)}));
  return {};
}

Result<void> TwoFactorRepository::disable(std::string_view account_id) {
  RIS_TRY_VOID(store_.query("UPDATE accounts SET totp_enabled = 0, totp_secret = NULL WHERE id = ?",
                            {std::string(account_id)}));
  return {};
}

Result<void> TwoFactorRepository::set_last_step(std::string_view account_id, int64_t step) {
  RIS_TRY_VOID(store_.query("UPDATE accounts SET totp_last_step = ? WHERE id = ?",
                            {step, std::string(account_id)}));
  return {};
}

Result<std::vector<StoredTotpSecret>> TwoFactorRepository::secrets() {
  RIS_TRY(auto rows, store_.query("SELECT id, totp_secret FROM accounts WHERE totp_secret IS NOT "
                                  "NULL ORDER BY id"));
  std::vector<StoredTotpSecret> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1)});
  return out;
}

Result<bool> TwoFactorRepository::replace_secret(std::string_view account_id, std::string_view old,
                                                 std::string_view secret) {
  RIS_TRY(auto r,
          store_.query("UPDATE accounts SET totp_secret = ? WHERE id = ? AND totp_secret = ?",
                       {std::string(secret), std::string(account_id), std::string(old)}));
  return r.changes > 0;
}

Result<void> TwoFactorRepository::replace_recovery_codes(
    std::string_view account_id, const std::vector<std::string>& code_hashes) {
  RIS_TRY_VOID(delete_recovery_codes(account_id));
  for (const auto& hash : code_hashes)
    RIS_TRY_VOID(store_.query("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
                              {std::string(account_id), hash}));
  return {};
}

Result<void> TwoFactorRepository::delete_recovery_codes(std::string_view account_id) {
  RIS_TRY_VOID(
      store_.query("DELETE FROM recovery_codes WHERE account_id = ?", {std::string(account_id)}));
  return {};
}

Result<bool> TwoFactorRepository::use_recovery_code(std::string_view account_id,
                                                    std::string_view code_hash,
                                                    std::string_view now) {
  RIS_TRY(
      auto used,
      store_.query("UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? "
                   "AND used_at IS NULL RETURNING code_hash",
                   {std::string(now), std::string(account_id), std::string(code_hash)}));
  return !used.rows.empty();
}

}  // namespace ris::identity
