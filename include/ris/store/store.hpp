// Store: the only way any module reaches the database.
//
// One interface, several backends (SQLite in the data directory today, PostgreSQL for clusters
// later), chosen by `open_store` from RIS_DATABASE_URL. Nothing backend-specific appears here:
// callers pass SQL with `?` placeholders and typed parameters, and get typed values back. SQL
// itself lives in each module's repository file, never in handlers.
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
};

// A parameter or a column value. NULL is nullptr; booleans are stored as 0/1 integers.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

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

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  int64_t changes = 0;  // rows inserted, updated or deleted by this statement (not by triggers)
};

// Blocking: callers run it on a worker pool, never on an I/O thread. Thread-safe. Errors are
// values: a constraint violation (duplicate key, foreign key, NOT NULL, CHECK) is
// Errc::conflict, a database that cannot be reached or written is Errc::unavailable, a bad
// statement is Errc::internal.
class Store {
 public:
  virtual ~Store() = default;

  // One statement, parameters bound positionally to `?` placeholders (never spliced into the
  // SQL). Use RETURNING to read generated values back.
  virtual Result<QueryResult> query(std::string_view sql, std::vector<Value> params = {}) = 0;

  // Runs `body` in one transaction; commits when it returns success, rolls back otherwise
  // (the body's error is returned). The Store& passed to `body` is bound to that transaction:
  // use it, and only on the calling thread, until `body` returns. Calling `transaction` on it
  // nests (a savepoint). While a transaction runs, other callers wait for it to finish.
  virtual Result<void> transaction(const std::function<Result<void>(Store&)>& body) = 0;

  virtual Result<void> ping() = 0;               // cheap liveness check (health endpoint)
  virtual std::string_view backend() const = 0;  // "sqlite"
  virtual int schema_version() const = 0;        // highest migration applied
  virtual Result<void> close() = 0;              // checkpoint + close; idempotent
};

// Opens the store named by `database_url` (RIS_DATABASE_URL):
//   ""  or "sqlite:"          <data_dir>/ris.db
//   "sqlite:/abs/path.db"     that file
//   "sqlite:relative.db"      <data_dir>/relative.db
//   "postgres://…", "postgresql://…"   Errc::unavailable: that backend is not built yet
//   anything else             Errc::invalid_argument naming RIS_DATABASE_URL
// Applies pending migrations before returning, and refuses a database written by a newer RIS.
Result<std::unique_ptr<Store>> open_store(std::string_view database_url,
                                          const std::filesystem::path& data_dir);

}  // namespace ris::store
