#include "ris/identity/accounts.hpp"

#include <algorithm>

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
    "id, email, username, display_name, first_name, last_name, totp_enabled, app_roles, created_at";

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

Result<void> Accounts::check_password(std::string_view id, std::string_view password) {
  RIS_TRY(
      auto rows,
      store_.query("SELECT secret_hash FROM account_identities WHERE account_id = ? AND provider = "
                   "'password'",
                   {std::string(id)}));
  if (rows.rows.empty() || !security::verify_password(password, rows.rows[0].get<std::string>(0)))
    return fail(Errc::forbidden, "the current password is wrong");
  return {};
}

Result<Account> Accounts::update_profile(std::string_view id, const ProfileChanges& c) {
  auto check_name = [](const std::optional<std::string>& v, const char* what) -> Result<void> {
    if (v && (v->size() > 100 || v->find_first_of("\r\n") != std::string::npos))
      return fail(Errc::invalid_argument,
                  std::string(what) + " must be one line of at most 100 characters");
    return {};
  };
  if (c.username)
    RIS_TRY_VOID(validate_username(*c.username));
  RIS_TRY_VOID(check_name(c.display_name, "display_name"));
  RIS_TRY_VOID(check_name(c.first_name, "first_name"));
  RIS_TRY_VOID(check_name(c.last_name, "last_name"));
  const std::string account(id), now = now_rfc3339();
  auto set = [&](const char* column, const std::optional<std::string>& v) -> Result<void> {
    if (!v)
      return {};
    auto r = store_.query(
        "UPDATE accounts SET " + std::string(column) + " = ?, updated_at = ? WHERE id = ?",
        {*v, now, account});
    if (!r && r.error().code == Errc::conflict)
      return fail(Errc::conflict, "that username is already taken");
    return r ? Result<void>{} : fail(r.error());
  };
  RIS_TRY_VOID(set("username", c.username));
  RIS_TRY_VOID(set("display_name", c.display_name));
  RIS_TRY_VOID(set("first_name", c.first_name));
  RIS_TRY_VOID(set("last_name", c.last_name));
  return find(id);
}

Result<void> Accounts::change_password(std::string_view id, std::string_view current,
                                       std::string_view next) {
  RIS_TRY_VOID(check_password(id, current));
  RIS_TRY(Account a, find(id));
  RIS_TRY_VOID(security::check_password_policy(next, a.username, a.email));
  RIS_TRY(std::string hash, security::hash_password(next));
  RIS_TRY_VOID(store_.query(
      "UPDATE account_identities SET secret_hash = ? WHERE account_id = ? AND provider = "
      "'password'",
      {hash, std::string(id)}));
  return {};
}

Result<Account> Accounts::change_email(std::string_view id, std::string_view password,
                                       std::string_view email) {
  RIS_TRY_VOID(check_password(id, password));
  RIS_TRY_VOID(validate_email(email));
  auto r = store_.query("UPDATE accounts SET email = ?, updated_at = ? WHERE id = ?",
                        {std::string(email), now_rfc3339(), std::string(id)});
  if (!r)
    return fail(r.error().code == Errc::conflict
                    ? Error{Errc::conflict, "that email is already taken"}
                    : r.error());
  return find(id);
}

Result<void> Accounts::remove(std::string_view id, std::string_view password) {
  RIS_TRY_VOID(check_password(id, password));
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto owned, tx.query("SELECT name FROM spaces WHERE owner_id = ? ORDER BY name",
                                 {std::string(id)}));
    if (!owned.rows.empty()) {
      std::string names;
      for (const auto& r : owned.rows)
        names += (names.empty() ? "" : ", ") + r.get<std::string>(0);
      return fail(Errc::conflict,
                  "this account owns spaces (" + names +
                      "): hand them over or delete them before deleting the account");
    }
    RIS_TRY_VOID(tx.query("DELETE FROM accounts WHERE id = ?", {std::string(id)}));
    return {};
  });
}

Result<Account> Accounts::set_app_roles(std::string_view id,
                                        const std::vector<std::string>& roles) {
  boost::json::array list;
  for (const auto& r : roles) {
    if (r != kApplicationAdministrator && r != kUserModerator && r != kServerModerator)
      return fail(Errc::invalid_argument,
                  "unknown application role \"" + r +
                      "\" (ApplicationAdministrator, UserModerator, ServerModerator)");
    list.emplace_back(r);
  }
  RIS_TRY(Account a, find(id));
  RIS_TRY_VOID(store_.query("UPDATE accounts SET app_roles = ?, updated_at = ? WHERE id = ?",
                            {boost::json::serialize(list), now_rfc3339(), a.id}));
  return find(id);
}

Result<std::vector<Account>> Accounts::search(std::string_view query, int limit) {
  const std::string like = "%" + std::string(query) + "%";
  RIS_TRY(auto rows,
          store_.query(
              "SELECT " + std::string(kAccountColumns) +
                  " FROM accounts WHERE username LIKE ? OR email LIKE ? ORDER BY username LIMIT ?",
              {like, like, int64_t{std::clamp(limit, 1, 500)}}));
  std::vector<Account> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
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
  RIS_TRY(auto rows,
          store_.query("SELECT a.id, i.secret_hash FROM accounts a JOIN account_identities i "
                       "ON i.account_id = a.id AND i.provider = 'password' "
                       "WHERE a.email = ? OR a.username = ?",
                       {std::string(login), std::string(login)}));
  if (rows.rows.empty()) {
    (void)security::verify_password(password, dummy);
    return invalid_credentials();
  }
  if (!security::verify_password(password, rows.rows[0].get<std::string>("secret_hash")))
    return invalid_credentials();
  return find(rows.rows[0].get<std::string>("id"));
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
