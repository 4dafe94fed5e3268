// SqliteStore::backup_to (SQLite's online backup API on a connection of its own) and the
// checks `risd restore` makes of a backup file.
//
// The copy reads through a second, read-only connection inside one read transaction: in WAL
// mode that is a consistent snapshot, and risd's own connection keeps writing meanwhile.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "ris/core/log.hpp"
#include "ris/store/backup.hpp"
#include "sqlite_store.hpp"

namespace ris::store {

Result<void> SqliteStore::backup_to(const std::filesystem::path& file) {
  const auto source_path = conn_->path();
  const auto partial = std::filesystem::path(file.string() + ".partial");
  std::error_code ec;
  std::filesystem::remove(partial, ec);

  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  struct Close {
    sqlite3*& a;
    sqlite3*& b;
    ~Close() {
      sqlite3_close_v2(a);
      sqlite3_close_v2(b);
    }
  } close_both{src, dst};
  if (sqlite3_open_v2(source_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return fail(Errc::unavailable, fmt::format("backup: cannot read {}: {}", source_path.string(),
                                               sqlite3_errmsg(src)));
  }
  sqlite3_busy_timeout(src, 5000);
  if (sqlite3_open_v2(partial.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    return fail(Errc::invalid_argument,
                fmt::format("backup: cannot create {}: {}", partial.string(), sqlite3_errmsg(dst)));
  }
  std::filesystem::permissions(
      partial, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, ec);
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (b == nullptr) {
    return fail(Errc::internal, fmt::format("backup: {}", sqlite3_errmsg(dst)));
  }
  // All pages in one step: one read transaction, so the copy is one point in time.
  const int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    std::filesystem::remove(partial, ec);
    return fail(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? Errc::busy : Errc::unavailable,
                fmt::format("backup: {}", sqlite3_errstr(rc)));
  }
  // A backup is a single file: no WAL beside it.
  char* err = nullptr;
  sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err);
  sqlite3_free(err);
  sqlite3_close_v2(dst);
  dst = nullptr;
  std::filesystem::rename(partial, file, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    return fail(Errc::invalid_argument,
                fmt::format("backup: cannot write {}: {}", file.string(), ec.message()));
  }
  log::info("store_backup_written", {{"file", file.string()}});
  return {};
}

Result<BackupFacts> inspect_sqlite_backup(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return fail(Errc::not_found, fmt::format("{} is not a file", file.string()));
  {
    char magic[16] = {};
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    const ssize_t n = fd < 0 ? -1 : ::read(fd, magic, sizeof magic);
    if (fd >= 0)
      ::close(fd);
    if (n != sizeof magic || std::memcmp(magic, "SQLite format 3", 16) != 0)
      return fail(Errc::invalid_argument,
                  fmt::format("{} is not an SQLite database (a PostgreSQL dump is restored with "
                              "pg_restore: docs/operations.md)",
                              file.string()));
  }
  sqlite3* db = nullptr;
  struct Close {
    sqlite3*& db;
    ~Close() { sqlite3_close_v2(db); }
  } close{db};
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return fail(Errc::invalid_argument,
                fmt::format("cannot open {}: {}", file.string(), sqlite3_errmsg(db)));
  // One text value of the first row, nullopt when the statement fails or returns nothing.
  auto first_text = [db](const char* sql) -> std::optional<std::string> {
    sqlite3_stmt* st = nullptr;
    std::optional<std::string> out;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  };
  const auto integrity = first_text("PRAGMA integrity_check");
  if (integrity != "ok")
    return fail(Errc::invalid_argument,
                fmt::format("{} fails SQLite's integrity check: {}", file.string(),
                            integrity.value_or(sqlite3_errmsg(db))));
  const auto version = first_text("SELECT max(version) FROM schema_migrations");
  if (!version)
    return fail(Errc::invalid_argument,
                fmt::format("{} is an SQLite database but not RIS's (no schema_migrations)",
                            file.string()));
  BackupFacts facts;
  facts.schema_version = std::atoi(version->c_str());
  facts.instance_id = first_text("SELECT value FROM meta WHERE key = 'instance_id'").value_or("");
  return facts;
}

}  // namespace ris::store
