#include "sqlite_connection.hpp"

#include <sqlite3.h>

#include <fmt/format.h>
#include <chrono>
#include <thread>

#include "ris/core/log.hpp"

namespace ris::store {
namespace {

// SQLite waits this long for another connection's lock before answering SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 5000;
// Then we retry a few more times: the busy handler is not called for every contention case
// (SQLITE_LOCKED, BUSY_SNAPSHOT, BUSY_RECOVERY), and a writer in another process may be slow.
constexpr int kBusyRetries = 3;

bool is_busy(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

void busy_backoff(int attempt) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
}

Errc errc_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Errc::conflict;
    case SQLITE_TOOBIG:
      return Errc::too_large;
    case SQLITE_MISMATCH:
      return Errc::invalid_argument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::busy;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return Errc::unavailable;
    default:
      return Errc::internal;
  }
}

// Resets a cached statement however its use ends, so it holds no lock and no stale binding.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_;
};

int bind(sqlite3_stmt* stmt, int index, const Value& v) {
  // SQLITE_STATIC: the parameters outlive the statement's execution (see run()).
  if (const auto* i = std::get_if<int64_t>(&v))
    return sqlite3_bind_int64(stmt, index, *i);
  if (const auto* flag = std::get_if<bool>(&v))
    return sqlite3_bind_int64(stmt, index, *flag ? 1 : 0);
  if (const auto* d = std::get_if<double>(&v))
    return sqlite3_bind_double(stmt, index, *d);
  if (const auto* s = std::get_if<std::string>(&v)) {
    return sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  if (const auto* b = std::get_if<Blob>(&v)) {
    // A null data pointer would bind NULL, so an empty blob is bound as a zero-length blob.
    if (b->bytes.empty())
      return sqlite3_bind_zeroblob(stmt, index, 0);
    return sqlite3_bind_blob64(stmt, index, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
  }
  return sqlite3_bind_null(stmt, index);
}

Value column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, i));
      const auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, i));
      return Blob{data ? std::vector<uint8_t>(data, data + size) : std::vector<uint8_t>{}};
    }
    default:
      return nullptr;
  }
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n;") == std::string_view::npos;
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(
    const std::filesystem::path& path) {
  if (sqlite3_threadsafe() == 0) {
    return fail(Errc::internal, "the SQLite library was built without thread support");
  }
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail(Errc::unavailable, fmt::format("cannot open database {}: {} (does the directory "
                                               "exist and is it writable?)",
                                               path.string(), message));
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, path));
  if (auto r = conn->configure(); !r) {
    return fail(r.error().code,
                fmt::format("cannot open database {}: {}", path.string(), r.error().message));
  }
  // It will hold password hashes and keys: only the owner may read it (the -wal and -shm files
  // inherit the database file's permissions).
  if (!existed) {
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace, ec);
  }
  return conn;
}

Result<void> SqliteConnection::configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  RIS_TRY(auto mode, run("PRAGMA journal_mode=WAL"));
  const std::string got = mode.rows.empty() ? "" : mode.rows[0].get<std::string>(0);
  if (got != "wal") {
    return fail(Errc::unavailable,
                fmt::format("could not switch to WAL mode (journal_mode is \"{}\"); is the data "
                            "directory on a local file system?",
                            got));
  }
  RIS_TRY_VOID(run("PRAGMA foreign_keys=ON"));
  RIS_TRY_VOID(run("PRAGMA synchronous=NORMAL"));
  return {};
}

SqliteConnection::~SqliteConnection() {
  (void)close();
}

bool SqliteConnection::in_transaction() const {
  return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

Failure SqliteConnection::failure(int rc, std::string_view sql) const {
  const Errc code = errc_for(rc);
  std::string message = fmt::format("database error: {}", sqlite3_errmsg(db_));
  if (is_busy(rc)) {
    message = fmt::format("database is busy: another writer held the lock for more than {} s ({})",
                          kBusyTimeoutMs / 1000, sqlite3_errmsg(db_));
  }
  // A conflict is an expected outcome for the caller; anything else deserves a look.
  if (code != Errc::conflict) {
    log::warn("store_statement_failed",
              {{"error", message}, {"sql", std::string(sql.substr(0, 200))}});
  }
  return fail(code, std::move(message));
}

Result<sqlite3_stmt*> SqliteConnection::statement(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = SQLITE_OK;
  for (int attempt = 0;; ++attempt) {
    rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                            SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (!is_busy(rc) || attempt == kBusyRetries)
      break;
    busy_backoff(attempt);
  }
  if (rc != SQLITE_OK)
    return failure(rc, sql);
  if (stmt == nullptr)
    return fail(Errc::invalid_argument, "empty SQL statement");

  const std::string_view rest(tail, sql.data() + sql.size() - tail);
  if (!is_blank(rest)) {
    sqlite3_stmt* extra = nullptr;
    sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &extra, nullptr);
    const bool another = extra != nullptr;
    sqlite3_finalize(extra);
    if (another) {
      sqlite3_finalize(stmt);
      return fail(Errc::invalid_argument,
                  "a query runs one SQL statement; this text holds more than one");
    }
  }

  if (lru_.size() >= kStatementCacheSize) {
    cache_.erase(lru_.back().first);
    sqlite3_finalize(lru_.back().second);
    lru_.pop_back();
  }
  lru_.emplace_front(std::string(sql), stmt);
  cache_.emplace(lru_.front().first, lru_.begin());
  return stmt;
}

Result<QueryResult> SqliteConnection::run(std::string_view sql, const std::vector<Value>& params) {
  if (db_ == nullptr)
    return fail(Errc::unavailable, "the database is closed");
  RIS_TRY(sqlite3_stmt * stmt, statement(sql));
  StatementUse use(stmt);

  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<size_t>(expected) != params.size()) {
    return fail(Errc::internal, fmt::format("the statement has {} parameters but {} were given",
                                            expected, params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (const int rc = bind(stmt, static_cast<int>(i) + 1, params[i]); rc != SQLITE_OK) {
      return failure(rc, sql);
    }
  }

  QueryResult out;
  const int ncols = sqlite3_column_count(stmt);
  auto columns = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < ncols; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    columns->emplace_back(name ? name : "");
  }
  out.columns = *columns;

  for (int attempt = 0;; ++attempt) {
    out.rows.clear();
    const int64_t before = sqlite3_total_changes64(db_);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(ncols));
      for (int i = 0; i < ncols; ++i)
        values.push_back(column_value(stmt, i));
      out.rows.emplace_back(columns, std::move(values));
    }
    if (rc == SQLITE_DONE) {
      // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, so a statement
      // that changed nothing (DDL, a SELECT) must not report it.
      const bool changed = sqlite3_total_changes64(db_) != before;
      out.changes = !sqlite3_stmt_readonly(stmt) && changed ? sqlite3_changes64(db_) : 0;
      return out;
    }
    // A statement that failed on a lock made no change, so running it again is safe.
    if (!is_busy(rc) || attempt == kBusyRetries)
      return failure(rc, sql);
    sqlite3_reset(stmt);
    busy_backoff(attempt);
  }
}

Result<void> SqliteConnection::exec_script(std::string_view sql) {
  if (db_ == nullptr)
    return fail(Errc::unavailable, "the database is closed");
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK)
    return {};
  std::string message = error ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  return fail(errc_for(rc), "database error: " + message);
}

Result<void> SqliteConnection::close() {
  if (db_ == nullptr)
    return {};
  // Folds the WAL back into the database file so a copied ris.db is complete. Another
  // connection still reading may keep it from finishing; that is harmless.
  if (!in_transaction())
    (void)run("PRAGMA wal_checkpoint(TRUNCATE)");
  for (auto& [sql, stmt] : lru_)
    sqlite3_finalize(stmt);
  cache_.clear();
  lru_.clear();
  const int rc = sqlite3_close_v2(db_);
  std::string message = rc == SQLITE_OK ? "" : sqlite3_errmsg(db_);
  db_ = nullptr;
  if (rc != SQLITE_OK)
    return fail(errc_for(rc), "closing the database: " + message);
  return {};
}

}  // namespace ris::store
