// Applies the PostgreSQL migrations at open, one transaction per file (PostgreSQL's DDL is
// transactional), under an advisory lock so that servers starting together take turns.
#include <fmt/format.h>

#include "migrations.hpp"
#include "pg_connection.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"

namespace ris::store {
namespace {

// pg_advisory_lock key: any constant no other application on the database uses ("RISmigr").
constexpr int64_t kMigrationLock = 0x5249534d69677200;

Result<int> current_version(PgConnection& conn) {
  RIS_TRY(auto r, conn.run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return r.rows.at(0).get<int>(0);
}

Failure too_new(int found, int known) {
  return fail(Errc::conflict,
              fmt::format("the PostgreSQL database has schema version {}, but this RIS knows "
                          "versions up to {} only: it was written by a newer RIS. Run that "
                          "version (or newer), or restore a backup taken before the upgrade.",
                          found, known));
}

Result<int> apply_all(PgConnection& conn, const std::vector<Migration>& migrations) {
  const int known = migrations.empty() ? 0 : migrations.back().version;
  RIS_TRY_VOID(
      conn.run("CREATE TABLE IF NOT EXISTS schema_migrations ("
               "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  RIS_TRY(int version, current_version(conn));
  if (version > known)
    return too_new(version, known);
  for (const auto& m : migrations) {
    if (m.version <= version)
      continue;
    RIS_TRY_VOID(conn.run("BEGIN"));
    auto applied = [&]() -> Result<void> {
      if (auto r = conn.exec_script(m.sql); !r) {
        return fail(r.error().code,
                    fmt::format("migration {} failed: {}", m.file, r.error().message));
      }
      RIS_TRY_VOID(
          conn.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                   {int64_t{m.version}, std::string(m.name), now_rfc3339()}));
      RIS_TRY_VOID(conn.run("COMMIT"));
      return {};
    }();
    if (!applied) {
      if (conn.in_transaction())
        (void)conn.run("ROLLBACK");
      return fail(applied.error());
    }
    log::info("store_migrated", {{"version", m.version}, {"name", m.name}});
    version = m.version;
  }
  return version;
}

}  // namespace

Result<int> apply_pg_migrations(PgConnection& conn, std::span<const EmbeddedFile> files) {
  RIS_TRY(const auto migrations, parse_migrations(files));
  RIS_TRY_VOID(conn.run("SELECT pg_advisory_lock(?)", {kMigrationLock}));
  auto outcome = apply_all(conn, migrations);
  (void)conn.run("SELECT pg_advisory_unlock(?)", {kMigrationLock});
  return outcome;
}

}  // namespace ris::store
