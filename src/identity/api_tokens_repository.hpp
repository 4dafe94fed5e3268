// The SQL of API tokens (table api_tokens; the secret is stored as SHA-256 only). Private to
// the identity module; construct it over the store or over a transaction's Store&.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/api_tokens.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

class ApiTokensRepository {
 public:
  explicit ApiTokensRepository(store::Store& store) : store_(store) {}

  // `last_used_at` and `revoked_at` are ignored.
  Result<void> insert(const ApiToken& token, std::string_view token_hash);
  // The space's tokens, newest first.
  Result<std::vector<ApiToken>> of_space(std::string_view space_id);
  Result<bool> exists(std::string_view id, std::string_view space_id);
  Result<std::optional<ApiToken>> find_by_hash(std::string_view token_hash);
  // Keeps the first revocation time.
  Result<void> revoke(std::string_view id, std::string_view now);
  Result<void> touch(std::string_view id, std::string_view now);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
