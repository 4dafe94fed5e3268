// What `risd restore` checks of a backup file before it copies it into a data directory.
#pragma once
#include <filesystem>
#include <string>

#include "ris/core/result.hpp"

namespace ris::store {

struct BackupFacts {
  int schema_version = 0;
  std::string instance_id;
};

// Read-only checks of an SQLite backup (nothing is written next to it): SQLite's header,
// PRAGMA integrity_check, RIS's schema_migrations. Errc::invalid_argument says what is wrong.
Result<BackupFacts> inspect_sqlite_backup(const std::filesystem::path& file);

}  // namespace ris::store
