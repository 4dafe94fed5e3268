// Schema migrations: numbered SQL files compiled into the binary, applied in order at open.
//
// Files are named "NNNN_what.sql" (0001_init.sql, 0002_accounts.sql, ...), numbered from 1
// without gaps; `schema_migrations(version, name, applied_at)` records what a database has.
// Each pending file runs in its own transaction, so a failure leaves the database at the last
// good version. A database whose version is above the newest file is refused: it was written
// by a newer RIS, and running older code against it could corrupt it.
#pragma once
#include <span>
#include <string_view>
#include <vector>

#include "ris/core/embedded_file.hpp"
#include "ris/core/result.hpp"

namespace ris::store {

class SqliteConnection;
class PgConnection;

struct Migration {
  int version = 0;
  std::string_view file;  // "0001_init.sql"
  std::string_view name;  // "init"
  std::string_view sql;
};

// Parses and checks the embedded files' names; sorted by version.
Result<std::vector<Migration>> parse_migrations(std::span<const EmbeddedFile> files);

// Brings `conn` up to the newest of `files`; returns the schema version reached. Safe when
// several processes open the same fresh database at once.
Result<int> apply_sqlite_migrations(SqliteConnection& conn, std::span<const EmbeddedFile> files);

// Brings a PostgreSQL database up to the newest of `files` under an advisory lock (several
// servers may start at once); returns the schema version reached.
Result<int> apply_pg_migrations(PgConnection& conn, std::span<const EmbeddedFile> files);

// The migrations compiled from src/store/migrations/{sqlite,postgres}/ (generated files). The
// two sets carry the same versions and names; only the dialect differs.
std::span<const EmbeddedFile> sqlite_migration_files();
std::span<const EmbeddedFile> postgres_migration_files();

}  // namespace ris::store
