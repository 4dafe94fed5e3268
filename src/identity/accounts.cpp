#include "ris/identity/accounts.hpp"

#include <algorithm>

#include "accounts_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "ris/security/password.hpp"
#include "ris/security/random.hpp"
#include "spaces_repository.hpp"

namespace ris::identity {
namespace {

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
  auto r = store_.transaction([&](store::Store& tx) -> Result<void> {
    AccountsRepository accounts(tx);
    if (auto inserted = accounts.insert(a); !inserted) {
      if (inserted.error().code == Errc::conflict)
        return fail(Errc::conflict, "that email or username is already taken");
      return fail(inserted.error());
    }
    return accounts.insert_password(a.id, hash, a.created_at);
  });
  if (!r)
    return fail(r.error());
  return a;
}

Result<Account> Accounts::find(std::string_view id) {
  return find_account(store_, id);
}

Result<void> Accounts::check_password(std::string_view id, std::string_view password) {
  RIS_TRY(auto hash, AccountsRepository(store_).password_hash(id));
  if (!hash || !security::verify_password(password, *hash))
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
  AccountsRepository accounts(store_);
  const std::string now = now_rfc3339();
  auto set = [&](AccountField field, const std::optional<std::string>& v) -> Result<void> {
    if (!v)
      return {};
    auto r = accounts.set_field(id, field, *v, now);
    if (!r && r.error().code == Errc::conflict)
      return fail(Errc::conflict, "that username is already taken");
    return r;
  };
  RIS_TRY_VOID(set(AccountField::username, c.username));
  RIS_TRY_VOID(set(AccountField::display_name, c.display_name));
  RIS_TRY_VOID(set(AccountField::first_name, c.first_name));
  RIS_TRY_VOID(set(AccountField::last_name, c.last_name));
  return find(id);
}

Result<void> Accounts::change_password(std::string_view id, std::string_view current,
                                       std::string_view next) {
  RIS_TRY_VOID(check_password(id, current));
  RIS_TRY(Account a, find(id));
  RIS_TRY_VOID(security::check_password_policy(next, a.username, a.email));
  RIS_TRY(std::string hash, security::hash_password(next));
  return AccountsRepository(store_).set_password_hash(id, hash);
}

Result<Account> Accounts::change_email(std::string_view id, std::string_view password,
                                       std::string_view email) {
  RIS_TRY_VOID(check_password(id, password));
  RIS_TRY_VOID(validate_email(email));
  auto r = AccountsRepository(store_).set_field(id, AccountField::email, email, now_rfc3339());
  if (!r)
    return fail(r.error().code == Errc::conflict
                    ? Error{Errc::conflict, "that email is already taken"}
                    : r.error());
  return find(id);
}

Result<void> Accounts::remove(std::string_view id, std::string_view password) {
  RIS_TRY_VOID(check_password(id, password));
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto owned, SpacesRepository(tx).names_owned_by(id));
    if (!owned.empty()) {
      std::string names;
      for (const auto& name : owned)
        names += (names.empty() ? "" : ", ") + name;
      return fail(Errc::conflict,
                  "this account owns spaces (" + names +
                      "): hand them over or delete them before deleting the account");
    }
    return AccountsRepository(tx).remove(id);
  });
}

Result<Account> Accounts::set_app_roles(std::string_view id,
                                        const std::vector<std::string>& roles) {
  for (const auto& r : roles)
    if (r != kApplicationAdministrator && r != kUserModerator && r != kServerModerator)
      return fail(Errc::invalid_argument,
                  "unknown application role \"" + r +
                      "\" (ApplicationAdministrator, UserModerator, ServerModerator)");
  RIS_TRY(Account a, find(id));
  RIS_TRY_VOID(AccountsRepository(store_).set_app_roles(a.id, roles, now_rfc3339()));
  return find(id);
}

Result<std::vector<Account>> Accounts::search(std::string_view query, int limit) {
  return AccountsRepository(store_).search(query, std::clamp(limit, 1, 500));
}

Result<Account> find_account(store::Store& store, std::string_view id) {
  RIS_TRY(auto account, AccountsRepository(store).find(id));
  if (!account)
    return fail(Errc::not_found, "no such account");
  return std::move(*account);
}

Result<Account> Accounts::authenticate(std::string_view login, std::string_view password) {
  // A fixed hash to verify against when the account does not exist, so both paths cost the same.
  static const std::string dummy =
      security::hash_password("not a real password, only for timing").value_or("");
  RIS_TRY(auto found, AccountsRepository(store_).find_password_login(login));
  if (!found) {
    (void)security::verify_password(password, dummy);
    return invalid_credentials();
  }
  if (!security::verify_password(password, found->secret_hash))
    return invalid_credentials();
  return find(found->account_id);
}

Result<std::optional<std::string>> Accounts::ensure_first_admin(std::string_view email,
                                                                std::string_view password) {
  RIS_TRY(const int64_t count, AccountsRepository(store_).count());
  if (count > 0)
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
