// Accounts: global identities (like a GitHub or Discord user) and how they sign in. An account
// may have several identities (a local password now; LDAP and OpenID Connect later), so the
// password lives in account_identities, not on the account.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

// Application-wide roles (seed 003 §1.2.5), above spaces: instance administration.
inline constexpr std::string_view kApplicationAdministrator = "ApplicationAdministrator";
inline constexpr std::string_view kUserModerator = "UserModerator";      // lists accounts
inline constexpr std::string_view kServerModerator = "ServerModerator";  // deletes abusive spaces

struct Account {
  std::string id, email, username, display_name, first_name, last_name;
  bool totp_enabled = false;
  std::vector<std::string> app_roles;  // UserModerator, ServerModerator, ApplicationAdministrator
  std::string created_at;
};

struct ProfileChanges {
  std::optional<std::string> username, display_name, first_name, last_name;
};

struct NewAccount {
  std::string email, username, password, display_name;
  std::vector<std::string> app_roles;
};

class Accounts {
 public:
  explicit Accounts(store::Store& store) : store_(store) {}
  // Validates email, username and the password policy; the password is stored as argon2id.
  // A taken email or username is Errc::conflict.
  Result<Account> create(const NewAccount& account);
  Result<Account> find(std::string_view id);
  Result<Account> update_profile(std::string_view id, const ProfileChanges& changes);
  // Both need the current password: a stolen access token alone cannot take the account over.
  Result<void> change_password(std::string_view id, std::string_view current,
                               std::string_view next);
  Result<Account> change_email(std::string_view id, std::string_view password,
                               std::string_view email);
  Result<void> check_password(std::string_view id, std::string_view password);
  // Instance administration: replace an account's application roles (known names only).
  Result<Account> set_app_roles(std::string_view id, const std::vector<std::string>& roles);
  // Accounts whose username or email contains `query`, by username.
  Result<std::vector<Account>> search(std::string_view query, int limit);
  // Deletes the account and its memberships, tokens and sign-ins. Refused while it owns spaces:
  // they must be handed over or deleted first. Audit entries keep only the bare account id.
  Result<void> remove(std::string_view id, std::string_view password);
  // `login` is an email or a username. Every failure is the same Errc::unauthenticated
  // "invalid credentials", and costs the same hashing work, so nothing reveals whether an
  // account exists.
  Result<Account> authenticate(std::string_view login, std::string_view password);
  // First start: when the instance has no account yet, creates an ApplicationAdministrator.
  // With an empty `password` one is generated and returned, to be shown once; otherwise the
  // result is an empty string. When accounts exist already: nullopt, nothing changes.
  Result<std::optional<std::string>> ensure_first_admin(std::string_view email,
                                                        std::string_view password);

 private:
  store::Store& store_;
};

// The same lookup on a given store handle, for use inside a transaction.
Result<Account> find_account(store::Store& store, std::string_view id);

Result<void> validate_email(std::string_view email);
Result<void> validate_username(std::string_view username);

}  // namespace ris::identity
