#include "ris/identity/accounts.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/security/password.hpp"
#include "ris/security/random.hpp"

namespace ris::identity {
namespace {

constexpr std::string_view kAccountColumns =
    "id, email, username, display_name, app_roles, created_at";

Account from_row(const store::Row& r) {
  Account a;
  a.id = r.get<std::string>("id");
  a.email = r.get<std::string>("email");
  a.username = r.get<std::string>("username");
  a.display_name = r.get<std::string>("display_name");
  a.created_at = r.get<std::string>("created_at");
  boost::json::error_code ec;
  auto roles = boost::json::parse(r.get<std::string>("app_roles"), ec);
  if (!ec && roles.is_array())
    for (const auto& v : roles.as_array())
      if (v.is_string())
        a.app_roles.emplace_back(v.as_string());
  return a;
}

Failure invalid_credentials() {
  return fail(Errc::unauthenticated, "invalid credentials");
}

}  // namespace

Result<void> validate_email(std::string_view email) {
  const auto at = email.find('@');
  if (email.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string_view::npos ||
      email.find_first_of(" \t\r\n<>\"") != std::string_view::npos)
    return fail(Errc::invalid_argument, "email must look like name@example.com");
  return {};
}

Result<void> validate_username(std::string_view username) {
  if (username.size() < 2 || username.size() > 32)
    return fail(Errc::invalid_argument, "username must be 2 to 32 characters");
  for (char c : username)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return fail(Errc::invalid_argument,
                  "username may contain only letters, digits, '_', '.' and '-'");
  return {};
}

Result<Account> Accounts::create(const NewAccount& n) {
  RIS_TRY_VOID(validate_email(n.email));
  RIS_TRY_VOID(validate_username(n.username));
  RIS_TRY_VOID(security::check_password_policy(n.password, n.username));
  RIS_TRY(std::string hash, security::hash_password(n.password));
  Account a;
  a.id = new_id();
  a.email = n.email;
  a.username = n.username;
  a.display_name = n.display_name.empty() ? n.username : n.display_name;
  a.app_roles = n.app_roles;
  a.created_at = now_rfc3339();
  boost::json::array roles;
  for (const auto& r : a.app_roles)
    roles.emplace_back(r);
  auto r = store_.transaction([&](store::Store& tx) -> Result<void> {
    auto inserted = tx.query(
        "INSERT INTO accounts (id, email, username, display_name, app_roles, created_at, "
        "updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {a.id, a.email, a.username, a.display_name, boost::json::serialize(roles), a.created_at,
         a.created_at});
    if (!inserted) {
      if (inserted.error().code == Errc::conflict)
        return fail(Errc::conflict, "that email or username is already taken");
      return fail(inserted.error());
    }
    RIS_TRY_VOID(tx.query(
        "INSERT INTO account_identities (account_id, provider, subject, secret_hash, created_at) "
        "VALUES (?, 'password', ?, ?, ?)",
        {a.id, a.id, hash, a.created_at}));
    return {};
  });
  if (!r)
    return fail(r.error());
  return a;
}

Result<Account> Accounts::find(std::string_view id) {
  return find_account(store_, id);
}

Result<Account> find_account(store::Store& store, std::string_view id) {
  RIS_TRY(auto rows,
          store.query("SELECT " + std::string(kAccountColumns) + " FROM accounts WHERE id = ?",
                      {std::string(id)}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such account");
  return from_row(rows.rows[0]);
}

Result<Account> Accounts::authenticate(std::string_view login, std::string_view password) {
  // A fixed hash to verify against when the account does not exist, so both paths cost the same.
  static const std::string dummy =
      security::hash_password("not a real password, only for timing").value_or("");
  RIS_TRY(
      auto rows,
      store_.query("SELECT a.id, a.email, a.username, a.display_name, a.app_roles, a.created_at, "
                   "i.secret_hash FROM accounts a JOIN account_identities i "
                   "ON i.account_id = a.id AND i.provider = 'password' "
                   "WHERE a.email = ? OR a.username = ?",
                   {std::string(login), std::string(login)}));
  if (rows.rows.empty()) {
    (void)security::verify_password(password, dummy);
    return invalid_credentials();
  }
  if (!security::verify_password(password, rows.rows[0].get<std::string>("secret_hash")))
    return invalid_credentials();
  return from_row(rows.rows[0]);
}

Result<std::optional<std::string>> Accounts::ensure_first_admin(std::string_view email,
                                                                std::string_view password) {
  RIS_TRY(auto count, store_.query("SELECT COUNT(*) FROM accounts"));
  if (count.rows[0].get<int64_t>(0) > 0)
    return std::optional<std::string>();
  std::string generated;
  NewAccount n;
  n.email = std::string(email);
  n.username = "admin";
  n.display_name = "Administrator";
  n.app_roles = {std::string(kApplicationAdministrator)};
  if (password.empty()) {
    generated = security::random_token(18);  // 24 characters
    n.password = generated;
  } else {
    n.password = std::string(password);
  }
  RIS_TRY_VOID(create(n));
  return std::optional<std::string>(generated);
}

}  // namespace ris::identity
