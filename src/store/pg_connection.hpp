// One libpq connection with RIS's conventions: `?` placeholders rewritten to `$n`, untyped
// text parameters (PostgreSQL infers each type from the statement; blobs go as binary bytea),
// results converted to Value by column type, prepared statements cached per connection, and
// every failure turned into a Result by its SQLSTATE (23… conflict, 40001/40P01 busy, 08…
// unavailable).
//
// Not thread-safe: PgStore hands a connection to one caller at a time. Private to the store
// module.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

struct pg_conn;
struct pg_result;

namespace ris::store {

// "SELECT ? WHERE a = '?'" → "SELECT $1 WHERE a = '?'": placeholders outside quotes and
// comments are numbered from 1. `count` receives how many there were.
std::string number_placeholders(std::string_view sql, int& count);

class PgConnection {
 public:
  // `conninfo`: a postgres:// URI or key=value string, as libpq takes it.
  static Result<std::unique_ptr<PgConnection>> open(const std::string& conninfo);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // One statement with `params` bound to its `?` placeholders; every row collected.
  Result<QueryResult> run(std::string_view sql, const std::vector<Value>& params = {});
  // Several statements without parameters or results (a migration file).
  Result<void> exec_script(std::string_view sql);

  // `statements` between BEGIN ISOLATION LEVEL READ COMMITTED and COMMIT in one round trip
  // (libpq's pipeline mode): each statement sees what a statement run alone would (see
  // Store::run_batch). All or nothing: the first failure is returned and nothing is written.
  Result<std::vector<QueryResult>> run_pipeline(const std::vector<Statement>& statements);

  bool healthy() const;             // connected, and not in a failed state
  bool alive();                     // healthy, and the server has not closed it since
  bool in_transaction() const;      // inside BEGIN … COMMIT (idle, active or failed)
  bool transaction_failed() const;  // a statement failed: only ROLLBACK is accepted now
  // Reconnects with the same parameters; the statement cache starts empty.
  Result<void> reset();

 private:
  static constexpr size_t kStatementCacheSize = 512;

  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  // The name of the prepared form of `sql` (preparing it first if needed), or "" when the
  // cache is full (then the statement runs unprepared).
  Result<std::string> prepared(const std::string& numbered, int nparams);
  Result<QueryResult> collect(pg_result* res, std::string_view sql);
  Failure failure(pg_result* res, std::string_view sql) const;

  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> statements_;  // numbered SQL → name
  uint64_t next_statement_ = 0;
};

}  // namespace ris::store
