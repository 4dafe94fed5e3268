// Store: the only way any module reaches the database.
//
// One interface, two backends — SQLite in the data directory (the embedded default) and
// PostgreSQL (RIS_DATABASE_URL=postgres://…, for several servers) — chosen by `open_store`.
// Callers pass SQL with `?` placeholders (translated to `$1, $2…` for PostgreSQL) and typed
// parameters, and get typed values back. SQL itself lives in each module's *_repository.cpp;
// where the engines' dialects differ the repository asks `dialect.hpp`, never its callers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::store {

struct Blob {
  std::vector<uint8_t> bytes;
  bool operator==(const Blob&) const = default;
  // Bytes held in a string (a value, a message body), to bind to a BLOB/BYTEA column. Reading
  // such a column back with Row::get<std::string> gives the same bytes.
  static Blob of(std::string_view s) { return Blob{{s.begin(), s.end()}}; }
};

// A parameter or a column value. NULL is nullptr. Booleans are stored in integer columns as
// 0/1 on both engines (a bool parameter binds as 1 or 0; PostgreSQL's boolean reads back as
// int64 0/1). Timestamps are RFC 3339 UTC text (ris/core/time.hpp), which sorts by time.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob, bool>;

// NULL for an absent optional text.
inline Value nullable(const std::optional<std::string>& v) {
  return v ? Value(*v) : Value(nullptr);
}

enum class Engine { sqlite, postgres };

// One result row. Columns are read by position or by name; `get<T>` converts between storage
// classes the way SQLite does (an integer read as text gives its digits, NULL gives 0 or "").
// Use `is_null` or `get_optional` where NULL means something. Supported T: int64_t, int, bool,
// double, std::string, Blob. An index past the end or an unknown column name is a programming
// error (asserted in debug builds; reads as NULL otherwise).
class Row {
 public:
  Row() = default;
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
      : columns_(std::move(columns)), values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  const std::vector<Value>& values() const { return values_; }
  const Value& value(size_t i) const;
  const Value& value(std::string_view column) const;
  std::optional<size_t> index_of(std::string_view column) const;

  bool is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(value(i)); }
  bool is_null(std::string_view column) const {
    return std::holds_alternative<std::nullptr_t>(value(column));
  }
  template <typename T>
  T get(size_t i) const {
    return convert<T>(value(i));
  }
  template <typename T>
  T get(std::string_view column) const {
    return convert<T>(value(column));
  }
  template <typename T>
  std::optional<T> get_optional(size_t i) const {
    return is_null(i) ? std::nullopt : std::optional<T>(get<T>(i));
  }
  template <typename T>
  std::optional<T> get_optional(std::string_view column) const {
    return is_null(column) ? std::nullopt : std::optional<T>(get<T>(column));
  }

  static int64_t to_int64(const Value& v);
  static double to_double(const Value& v);
  static std::string to_string(const Value& v);
  static Blob to_blob(const Value& v);

 private:
  template <typename T>
  static T convert(const Value& v) {
    if constexpr (std::is_same_v<T, int64_t>) {
      return to_int64(v);
    } else if constexpr (std::is_same_v<T, int>) {
      return static_cast<int>(to_int64(v));
    } else if constexpr (std::is_same_v<T, bool>) {
      return to_int64(v) != 0;
    } else if constexpr (std::is_same_v<T, double>) {
      return to_double(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      return to_string(v);
    } else {
      static_assert(std::is_same_v<T, Blob>,
                    "Row::get supports int64_t, int, bool, double, "
                    "std::string and Blob");
      return to_blob(v);
    }
  }

  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Value> values_;
};

// "?, ?, …" with `n` placeholders, for an `IN (…)` list. Longer lists go in chunks of
// kMaxInList, well under either engine's limit on bound parameters.
inline constexpr size_t kMaxInList = 500;
inline std::string placeholders(size_t n) {
  std::string out;
  out.reserve(n * 3);
  for (size_t i = 0; i < n; ++i)
    out += i ? ", ?" : "?";
  return out;
}

// One statement and its parameters, for batches (Store::run_batch, GroupCommit).
struct Statement {
  std::string sql;
  std::vector<Value> params;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  int64_t changes = 0;  // rows inserted, updated or deleted by this statement (not by triggers)
};

// Blocking: callers run it on a worker pool, never on an I/O thread. Thread-safe. Errors are
// values: a constraint violation (duplicate key, foreign key, NOT NULL, CHECK) is
// Errc::conflict; a collision with concurrent work that a retry may resolve (serialization
// failure, deadlock, SQLite busy) is Errc::busy; a database that cannot be reached or written
// is Errc::unavailable; a bad statement is Errc::internal.
class Store {
 public:
  virtual ~Store() = default;

  // One statement, parameters bound positionally to `?` placeholders (never spliced into the
  // SQL). Use RETURNING to read generated values back.
  virtual Result<QueryResult> query(std::string_view sql, std::vector<Value> params = {}) = 0;
  // A statement a repository built (for batches that mix them with other writes).
  Result<QueryResult> run(const Statement& st) { return query(st.sql, st.params); }

  // Runs `body` in one transaction; commits when it returns success, rolls back otherwise
  // (the body's error is returned). The Store& passed to `body` is bound to that transaction:
  // use it, and only on the calling thread, until `body` returns. Calling `transaction` on it
  // nests (a savepoint). Transactions are serializable on both engines: SQLite runs one
  // writer at a time, PostgreSQL runs them SERIALIZABLE. An outermost transaction that fails
  // with Errc::busy is rolled back and run again (see retry_busy), so `body` may run more
  // than once: keep effects outside the database (events, replies) out of it.
  virtual Result<void> transaction(const std::function<Result<void>(Store&)>& body) = 0;

  // Runs `statements` in one transaction, all or nothing, and returns each one's result. On
  // PostgreSQL the whole batch is one round trip (libpq's pipeline mode); on SQLite it is a
  // plain transaction. A failing statement fails the batch (nothing is written).
  // The statements are fixed before the batch runs — nothing the caller reads decides what is
  // written — so each one behaves as it would run alone (its own WHERE re-checked against
  // concurrent writers: PostgreSQL runs the batch READ COMMITTED, like a single query). That
  // keeps a batch of hundreds of one-row updates (the group commit of a fan-out's results) from
  // failing as a serialization conflict with another server's batch touching other rows.
  virtual Result<std::vector<QueryResult>> run_batch(const std::vector<Statement>& statements);

  virtual Result<void> ping() = 0;               // cheap liveness check (health endpoint)
  virtual std::string_view backend() const = 0;  // "sqlite" or "postgres"
  virtual Engine engine() const = 0;
  virtual int schema_version() const = 0;  // highest migration applied
  virtual Result<void> close() = 0;        // checkpoint + close; idempotent

  // A consistent copy of the whole database written to `file` while others keep using the
  // store (SQLite's online backup API). PostgreSQL answers Errc::invalid_argument: its own
  // tools (pg_dump, pg_basebackup) do this, see docs/operations.md.
  virtual Result<void> backup_to(const std::filesystem::path& file) = 0;
};

// Runs `attempt` until it returns anything but Errc::busy, at most `max_attempts` times,
// sleeping a jittered, doubling back-off (5 ms, 10 ms, … capped at 500 ms) in between. The one
// retry loop of the store: both backends' outermost transactions go through it.
Result<void> retry_busy(const std::function<Result<void>()>& attempt, int max_attempts = 8);

// Opens the store named by `database_url` (RIS_DATABASE_URL):
//   ""  or "sqlite:"          <data_dir>/ris.db
//   "sqlite:/abs/path.db"     that file
//   "sqlite:relative.db"      <data_dir>/relative.db
//   "postgres://…", "postgresql://…", or a libpq key=value string starting "host=" / "dbname="
//                             PostgreSQL (libpq: sslmode, passfile, PGPASSWORD… all apply);
//                             `pool_size` (default 8) is RIS's own query parameter
//   anything else             Errc::invalid_argument naming RIS_DATABASE_URL
// Applies pending migrations before returning, and refuses a database written by a newer RIS.
Result<std::unique_ptr<Store>> open_store(std::string_view database_url,
                                          const std::filesystem::path& data_dir);

}  // namespace ris::store
