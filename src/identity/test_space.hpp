// Test support: an administrator and a space of theirs in a fresh store — the access the
// module tests (scheduler, key-value store, queues) act with. Throws when the store refuses.
#pragma once
#include <stdexcept>
#include <string>

#include "ris/identity/access.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/identity/spaces.hpp"

namespace ris::identity::testing {

inline SpaceAccess admin_space(store::Store& store, const std::string& name) {
  Accounts accounts(store);
  if (!accounts.ensure_first_admin("root@example.com", "a long admin passphrase"))
    throw std::runtime_error("no first administrator");
  auto admins = accounts.search("", 10);
  if (!admins || admins->empty())
    throw std::runtime_error("the first administrator is not found");
  Principal admin{admins->front().id, admins->front().app_roles, std::nullopt};
  auto space = Spaces(store).create(admin, name, "", false);
  if (!space)
    throw std::runtime_error(space.error().message);
  auto access = load_access(store, space->id, admin);
  if (!access)
    throw std::runtime_error(access.error().message);
  return std::move(*access);
}

}  // namespace ris::identity::testing
