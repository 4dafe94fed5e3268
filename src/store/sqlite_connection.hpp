// One SQLite connection with RIS's settings: WAL, foreign keys, synchronous=NORMAL, a busy
// timeout plus a bounded retry on BUSY/LOCKED, and a cache of prepared statements keyed by SQL
// text. It turns every SQLite failure into a Result whose message carries sqlite3_errmsg.
//
// Not thread-safe: SqliteStore serialises all use of a connection behind its mutex (the
// connection is opened with SQLITE_OPEN_NOMUTEX for that reason). Private to the store module.
#pragma once
#include <filesystem>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ris::store {

class SqliteConnection {
 public:
  static Result<std::unique_ptr<SqliteConnection>> open(const std::filesystem::path& path);
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection();

  // Runs one statement with `params` bound to its `?` placeholders and collects every row.
  Result<QueryResult> run(std::string_view sql, const std::vector<Value>& params = {});
  // Runs several statements without parameters or results (a migration file).
  Result<void> exec_script(std::string_view sql);

  bool is_open() const { return db_ != nullptr; }
  bool in_transaction() const;
  const std::filesystem::path& path() const { return path_; }
  // Checkpoints the WAL into the database file and closes; idempotent.
  Result<void> close();

 private:
  static constexpr size_t kStatementCacheSize = 256;

  SqliteConnection(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  Result<void> configure();
  Result<sqlite3_stmt*> statement(std::string_view sql);
  Failure failure(int rc, std::string_view sql) const;

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  // Least recently used last; the map's keys view the strings held by the list nodes.
  std::list<std::pair<std::string, sqlite3_stmt*>> lru_;
  std::unordered_map<std::string_view, decltype(lru_)::iterator> cache_;
};

}  // namespace ris::store
