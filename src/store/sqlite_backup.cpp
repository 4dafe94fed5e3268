// SqliteStore::backup_to: SQLite's online backup API on a connection of its own.
//
// The copy reads through a second, read-only connection inside one read transaction: in WAL
// mode that is a consistent snapshot, and risd's own connection keeps writing meanwhile.
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>

#include "ris/core/log.hpp"
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

}  // namespace ris::store
