#include "sqlite_store.hpp"

#include <fmt/format.h>

#include "bound_transaction.hpp"
#include "migrations.hpp"
#include "ris/core/log.hpp"

namespace ris::store {
namespace {

using SqliteTransaction = BoundTransaction<SqliteConnection, Engine::sqlite>;

// Runs `body` between BEGIN IMMEDIATE and COMMIT (depth 0) or inside a savepoint (nested),
// undoing its work when it fails or throws.
Result<void> run_transaction(SqliteConnection& conn, int schema_version, int depth,
                             const std::function<Result<void>(Store&)>& body) {
  const std::string savepoint = fmt::format("ris_savepoint_{}", depth);
  RIS_TRY_VOID(conn.run(depth == 0 ? std::string("BEGIN IMMEDIATE") : "SAVEPOINT " + savepoint));

  struct Undo {
    SqliteConnection& conn;
    const std::string& savepoint;
    int depth;
    bool armed = true;
    ~Undo() {
      // An I/O error may already have rolled the whole transaction back; then there is
      // nothing left to undo.
      if (!armed || !conn.in_transaction())
        return;
      if (depth == 0) {
        (void)conn.run("ROLLBACK");
      } else {
        (void)conn.run("ROLLBACK TO " + savepoint);
        (void)conn.run("RELEASE " + savepoint);
      }
    }
  } undo{conn, savepoint, depth};

  SqliteTransaction tx(conn, schema_version, depth + 1, &run_transaction);
  Result<void> outcome = body(tx);
  tx.finish();
  if (!outcome)
    return outcome;
  RIS_TRY_VOID(conn.run(depth == 0 ? std::string("COMMIT") : "RELEASE " + savepoint));
  undo.armed = false;
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                       std::span<const EmbeddedFile> migrations) {
  RIS_TRY(auto conn, SqliteConnection::open(path));
  RIS_TRY(const int version, apply_sqlite_migrations(*conn, migrations));
  log::info("store_opened",
            {{"backend", "sqlite"}, {"path", path.string()}, {"schema_version", version}});
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(conn), version));
}

SqliteStore::~SqliteStore() {
  if (auto r = close(); !r)
    log::warn("store_close_failed", {{"error", r.error().message}});
}

Result<void> SqliteStore::check_not_in_own_transaction() const {
  if (transaction_thread_.load() == std::this_thread::get_id()) {
    return fail(Errc::internal,
                "the store was used directly inside one of its own transactions; use the "
                "Store& passed to the transaction body");
  }
  return {};
}

Result<QueryResult> SqliteStore::query(std::string_view sql, std::vector<Value> params) {
  RIS_TRY_VOID(check_not_in_own_transaction());
  std::lock_guard lock(mutex_);
  return conn_->run(sql, params);
}

Result<void> SqliteStore::transaction(const std::function<Result<void>(Store&)>& body) {
  RIS_TRY_VOID(check_not_in_own_transaction());
  // Busy here means another process held the file's lock past the busy timeout.
  return retry_busy(
      [&]() -> Result<void> {
        std::lock_guard lock(mutex_);
        if (!conn_->is_open())
          return fail(Errc::unavailable, "the database is closed");
        transaction_thread_ = std::this_thread::get_id();
        struct Clear {
          std::atomic<std::thread::id>& id;
          ~Clear() { id = std::thread::id{}; }
        } clear{transaction_thread_};
        return run_transaction(*conn_, schema_version_, 0, body);
      },
      /*max_attempts=*/3);
}

Result<void> SqliteStore::ping() {
  RIS_TRY_VOID(query("SELECT 1"));
  return {};
}

Result<void> SqliteStore::close() {
  RIS_TRY_VOID(check_not_in_own_transaction());
  std::lock_guard lock(mutex_);
  return conn_->close();
}

}  // namespace ris::store
