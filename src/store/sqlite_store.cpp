#include "sqlite_store.hpp"

#include <fmt/format.h>

#include "migrations.hpp"
#include "ris/core/log.hpp"

namespace ris::store {
namespace {

// The Store& handed to a transaction body: runs on the connection the transaction holds
// (its mutex already taken by the caller) and only while the body runs.
class SqliteTransaction final : public Store {
 public:
  SqliteTransaction(SqliteConnection& conn, int schema_version, int depth)
      : conn_(conn), schema_version_(schema_version), depth_(depth) {}

  Result<QueryResult> query(std::string_view sql, std::vector<Value> params = {}) override {
    RIS_TRY_VOID(check_usable());
    return conn_.run(sql, params);
  }
  Result<void> transaction(const std::function<Result<void>(Store&)>& body) override;
  Result<void> ping() override {
    RIS_TRY_VOID(query("SELECT 1"));
    return {};
  }
  std::string_view backend() const override { return "sqlite"; }
  Engine engine() const override { return Engine::sqlite; }
  int schema_version() const override { return schema_version_; }
  Result<void> close() override {
    return fail(Errc::internal, "the store cannot be closed from inside a transaction");
  }
  Result<void> backup_to(const std::filesystem::path&) override {
    return fail(Errc::internal, "a backup cannot be taken from inside a transaction");
  }
  void finish() { active_ = false; }

 private:
  Result<void> check_usable() const {
    if (!active_) {
      return fail(Errc::internal, "a transaction's Store& was used after its body returned");
    }
    if (std::this_thread::get_id() != thread_) {
      return fail(Errc::internal, "a transaction's Store& was used from another thread");
    }
    return {};
  }

  SqliteConnection& conn_;
  const int schema_version_;
  const int depth_;
  const std::thread::id thread_ = std::this_thread::get_id();
  bool active_ = true;
};

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

  SqliteTransaction tx(conn, schema_version, depth + 1);
  Result<void> outcome = body(tx);
  tx.finish();
  if (!outcome)
    return outcome;
  RIS_TRY_VOID(conn.run(depth == 0 ? std::string("COMMIT") : "RELEASE " + savepoint));
  undo.armed = false;
  return {};
}

Result<void> SqliteTransaction::transaction(const std::function<Result<void>(Store&)>& body) {
  RIS_TRY_VOID(check_usable());
  return run_transaction(conn_, schema_version_, depth_, body);
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
