// The SQL of accounts and their sign-in identities (tables accounts, account_identities).
// Private to the identity module: Accounts and the other domain classes call it; nothing
// outside src/identity reads these tables. Construct it over the store, or over the Store&
// of a transaction so its statements join that transaction.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

// The account columns a caller may change one at a time.
enum class AccountField { username, display_name, first_name, last_name, email };

// What authentication needs: the account a login names, and its password hash.
struct PasswordLogin {
  std::string account_id, secret_hash;
};

class AccountsRepository {
 public:
  explicit AccountsRepository(store::Store& store) : store_(store) {}

  // A taken email or username is Errc::conflict (the store's constraint error).
  Result<void> insert(const Account& account);
  Result<void> insert_password(std::string_view account_id, std::string_view secret_hash,
                               std::string_view created_at);

  Result<std::optional<Account>> find(std::string_view id);
  Result<bool> exists(std::string_view id);
  // An email or a username (both compare case-insensitively on both engines).
  Result<std::optional<PasswordLogin>> find_password_login(std::string_view login);
  Result<std::optional<std::string>> password_hash(std::string_view account_id);
  // Username or email containing `text` (case-insensitively), by username.
  Result<std::vector<Account>> search(std::string_view text, int64_t limit);
  Result<int64_t> count();

  // Errc::conflict when the new username or email is taken.
  Result<void> set_field(std::string_view id, AccountField field, std::string_view value,
                         std::string_view now);
  Result<void> set_app_roles(std::string_view id, const std::vector<std::string>& roles,
                             std::string_view now);
  Result<void> set_password_hash(std::string_view account_id, std::string_view secret_hash);
  // Cascades to identities, memberships, tokens (foreign keys).
  Result<void> remove(std::string_view id);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
