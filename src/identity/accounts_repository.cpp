// SQL for accounts and account_identities. Portable SQL only (SQLite and PostgreSQL 15): email
// and username are COLLATE NOCASE on SQLite and CITEXT on PostgreSQL, so `=` and `LIKE` on them
// ignore case on both.
#include "accounts_repository.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ris::identity {
namespace {

constexpr std::string_view kColumns =
    "id, email, username, display_name, first_name, last_name, totp_enabled, app_roles, created_at";

std::string roles_json(const std::vector<std::string>& roles) {
  boost::json::array list;
  for (const auto& r : roles)
    list.emplace_back(r);
  return boost::json::serialize(list);
}

Account from_row(const store::Row& r) {
  Account a;
  a.id = r.get<std::string>("id");
  a.email = r.get<std::string>("email");
  a.username = r.get<std::string>("username");
  a.display_name = r.get<std::string>("display_name");
  a.first_name = r.get<std::string>("first_name");
  a.last_name = r.get<std::string>("last_name");
  a.totp_enabled = r.get<int64_t>("totp_enabled") != 0;
  a.created_at = r.get<std::string>("created_at");
  boost::json::error_code ec;
  auto roles = boost::json::parse(r.get<std::string>("app_roles"), ec);
  if (!ec && roles.is_array())
    for (const auto& v : roles.as_array())
      if (v.is_string())
        a.app_roles.emplace_back(v.as_string());
  return a;
}

std::string_view column_of(AccountField f) {
  switch (f) {
    case AccountField::username:
      return "username";
    case AccountField::display_name:
      return "display_name";
    case AccountField::first_name:
      return "first_name";
    case AccountField::last_name:
      return "last_name";
    case AccountField::email:
      return "email";
  }
  return "display_name";
}

}  // namespace

Result<void> AccountsRepository::insert(const Account& a) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO accounts (id, email, username, display_name, app_roles, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {a.id, a.email, a.username, a.display_name, roles_json(a.app_roles), a.created_at,
       a.created_at}));
  return {};
}

Result<void> AccountsRepository::insert_password(std::string_view account_id,
                                                 std::string_view secret_hash,
                                                 std::string_view created_at) {
  // A password identity's subject is the account id itself.
  RIS_TRY_VOID(store_.query(
      "INSERT INTO account_identities (account_id, provider, subject, secret_hash, created_at) "
      "VALUES (?, 'password', ?, ?, ?)",
      {std::string(account_id), std::string(account_id), std::string(secret_hash),
       std::string(created_at)}));
  return {};
}

Result<std::optional<Account>> AccountsRepository::find(std::string_view id) {
  RIS_TRY(auto rows, store_.query("SELECT " + std::string(kColumns) + " FROM accounts WHERE id = ?",
                                  {std::string(id)}));
  if (rows.rows.empty())
    return std::optional<Account>();
  return std::optional<Account>(from_row(rows.rows[0]));
}

Result<bool> AccountsRepository::exists(std::string_view id) {
  RIS_TRY(auto rows, store_.query("SELECT 1 FROM accounts WHERE id = ?", {std::string(id)}));
  return !rows.rows.empty();
}

Result<std::optional<PasswordLogin>> AccountsRepository::find_password_login(
    std::string_view login) {
  RIS_TRY(auto rows,
          store_.query("SELECT a.id, i.secret_hash FROM accounts a JOIN account_identities i "
                       "ON i.account_id = a.id AND i.provider = 'password' "
                       "WHERE a.email = ? OR a.username = ? ORDER BY a.id LIMIT 1",
                       {std::string(login), std::string(login)}));
  if (rows.rows.empty())
    return std::optional<PasswordLogin>();
  return std::optional<PasswordLogin>(PasswordLogin{rows.rows[0].get<std::string>("id"),
                                                    rows.rows[0].get<std::string>("secret_hash")});
}

Result<std::optional<std::string>> AccountsRepository::password_hash(std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("SELECT secret_hash FROM account_identities "
                                  "WHERE account_id = ? AND provider = 'password'",
                                  {std::string(account_id)}));
  if (rows.rows.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(rows.rows[0].get<std::string>(0));
}

Result<std::vector<Account>> AccountsRepository::search(std::string_view text, int64_t limit) {
  const std::string like = "%" + std::string(text) + "%";
  RIS_TRY(auto rows,
          store_.query(
              "SELECT " + std::string(kColumns) +
                  " FROM accounts WHERE username LIKE ? OR email LIKE ? ORDER BY username LIMIT ?",
              {like, like, limit}));
  std::vector<Account> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<int64_t> AccountsRepository::count() {
  RIS_TRY(auto rows, store_.query("SELECT COUNT(*) FROM accounts"));
  return rows.rows[0].get<int64_t>(0);
}

Result<void> AccountsRepository::set_field(std::string_view id, AccountField field,
                                           std::string_view value, std::string_view now) {
  // The column name comes from the enum above, never from the caller.
  RIS_TRY_VOID(store_.query(
      "UPDATE accounts SET " + std::string(column_of(field)) + " = ?, updated_at = ? WHERE id = ?",
      {std::string(value), std::string(now), std::string(id)}));
  return {};
}

Result<void> AccountsRepository::set_app_roles(std::string_view id,
                                               const std::vector<std::string>& roles,
                                               std::string_view now) {
  RIS_TRY_VOID(store_.query("UPDATE accounts SET app_roles = ?, updated_at = ? WHERE id = ?",
                            {roles_json(roles), std::string(now), std::string(id)}));
  return {};
}

Result<void> AccountsRepository::set_password_hash(std::string_view account_id,
                                                   std::string_view secret_hash) {
  RIS_TRY_VOID(store_.query(
      "UPDATE account_identities SET secret_hash = ? WHERE account_id = ? AND provider = "
      "'password'",
      {std::string(secret_hash), std::string(account_id)}));
  return {};
}

Result<void> AccountsRepository::remove(std::string_view id) {
  RIS_TRY_VOID(store_.query("DELETE FROM accounts WHERE id = ?", {std::string(id)}));
  return {};
}

}  // namespace ris::identity
