// The SQL of invitations into a space (table invitations). Private to the identity module;
// construct it over the store or over a transaction's Store&.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/identity/invitations.hpp"
#include "ris/store/store.hpp"

namespace ris::identity {

class InvitationsRepository {
 public:
  explicit InvitationsRepository(store::Store& store) : store_(store) {}

  // `space_name`, `uses` and `revoked_at` are ignored.
  Result<void> insert(const Invitation& invitation);
  // With the space's name; whether it is still usable is the caller's to decide.
  Result<std::optional<Invitation>> find(std::string_view code);
  // The space's invitations, newest first.
  Result<std::vector<Invitation>> of_space(std::string_view space_id);
  // Who created the invitation, when it belongs to that space.
  Result<std::optional<std::string>> creator(std::string_view code, std::string_view space_id);
  // Keeps the first revocation time.
  Result<void> revoke(std::string_view code, std::string_view now);
  Result<void> count_use(std::string_view code);

 private:
  store::Store& store_;
};

}  // namespace ris::identity
