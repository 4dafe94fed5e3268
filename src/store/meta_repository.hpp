// The meta table's SQL (see ris/store/meta.hpp); the part open_store needs is declared here.
#pragma once
#include <string>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::store {

// Gives the database an instance id if it has none yet; returns the id it has. Safe when
// several processes open a fresh database at once: the first id written wins.
Result<std::string> ensure_instance_id(Store& store);

}  // namespace ris::store
