// Facts about the database itself, kept in the `meta` table.
//
// The instance id is a UUID generated once, when the database is created; it names this RIS
// installation (a cluster shares it through the shared database) in logs, backups and metrics.
#pragma once
#include <string>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::store {

// This installation's id; Errc::not_found if the database has none (open_store creates it).
Result<std::string> instance_id(Store& store);

}  // namespace ris::store
