// Applies the SQLite migrations at open, one transaction per file.
#include <fmt/format.h>

#include "migrations.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "sqlite_connection.hpp"

namespace ris::store {
namespace {

Result<int> current_version(SqliteConnection& conn) {
  RIS_TRY(auto r, conn.run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return r.rows.at(0).get<int>(0);
}

Failure too_new(SqliteConnection& conn, int found, int known) {
  return fail(Errc::conflict,
              fmt::format("database {} has schema version {}, but this RIS knows versions up to "
                          "{} only: it was written by a newer RIS. Run that version (or newer), "
                          "or restore a backup taken before the upgrade.",
                          conn.path().string(), found, known));
}

// Runs one migration unless another process applied it first. Returns the version reached.
Result<int> apply_one(SqliteConnection& conn, const Migration& m, int known) {
  RIS_TRY_VOID(conn.run("BEGIN IMMEDIATE"));
  auto outcome = [&]() -> Result<int> {
    RIS_TRY(const int found, current_version(conn));
    if (found > known)
      return too_new(conn, found, known);
    if (found >= m.version)
      return found;
    if (auto r = conn.exec_script(m.sql); !r) {
      return fail(r.error().code,
                  fmt::format("migration {} failed: {}", m.file, r.error().message));
    }
    RIS_TRY_VOID(
        conn.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                 {int64_t{m.version}, std::string(m.name), now_rfc3339()}));
    RIS_TRY_VOID(conn.run("COMMIT"));
    log::info("store_migrated", {{"version", m.version}, {"name", m.name}});
    return m.version;
  }();
  if (conn.in_transaction())
    (void)conn.run("ROLLBACK");
  return outcome;
}

}  // namespace

Result<int> apply_sqlite_migrations(SqliteConnection& conn, std::span<const EmbeddedFile> files) {
  RIS_TRY(const auto migrations, parse_migrations(files));
  const int known = migrations.empty() ? 0 : migrations.back().version;
  RIS_TRY_VOID(
      conn.run("CREATE TABLE IF NOT EXISTS schema_migrations ("
               "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  RIS_TRY(int version, current_version(conn));
  if (version > known)
    return too_new(conn, version, known);
  for (const auto& m : migrations) {
    if (m.version <= version)
      continue;
    RIS_TRY(version, apply_one(conn, m, known));
  }
  return version;
}

}  // namespace ris::store
