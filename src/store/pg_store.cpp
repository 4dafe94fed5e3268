#include "pg_store.hpp"

#include <fmt/format.h>
#include <thread>

#include "bound_transaction.hpp"
#include "migrations.hpp"
#include "pg_connection.hpp"
#include "ris/core/log.hpp"

namespace ris::store {
namespace {

constexpr auto kAcquireTimeout = std::chrono::seconds(10);
constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);

// The store whose transaction the current thread is running, if any: using that store
// directly from inside its own transaction would take a second connection and could wait on
// the first one's row locks forever.
thread_local const PgStore* tl_transaction_of = nullptr;

using PgTransaction = BoundTransaction<PgConnection, Engine::postgres>;

// A failed statement aborts the whole PostgreSQL transaction (SQLite carries on): a body that
// swallowed such an error must not be reported as committed.
Failure aborted_by_failed_statement() {
  return fail(Errc::internal,
              "a statement failed inside the transaction, which PostgreSQL then refuses to "
              "continue; the transaction was rolled back");
}

Result<void> run_transaction(PgConnection& conn, int schema_version, int depth,
                             const std::function<Result<void>(Store&)>& body) {
  const std::string savepoint = fmt::format("ris_savepoint_{}", depth);
  RIS_TRY_VOID(conn.run(depth == 0 ? std::string("BEGIN ISOLATION LEVEL SERIALIZABLE")
                                   : "SAVEPOINT " + savepoint));
  struct Undo {
    PgConnection& conn;
    const std::string& savepoint;
    int depth;
    bool armed = true;
    ~Undo() {
      if (!armed || !conn.healthy() || !conn.in_transaction())
        return;
      if (depth == 0) {
        (void)conn.run("ROLLBACK");
      } else {
        (void)conn.run("ROLLBACK TO SAVEPOINT " + savepoint);
        (void)conn.run("RELEASE SAVEPOINT " + savepoint);
      }
    }
  } undo{conn, savepoint, depth};

  PgTransaction tx(conn, schema_version, depth + 1, &run_transaction);
  Result<void> outcome = body(tx);
  tx.finish();
  if (!outcome)
    return outcome;
  if (conn.transaction_failed())
    return aborted_by_failed_statement();
  RIS_TRY_VOID(conn.run(depth == 0 ? std::string("COMMIT") : "RELEASE SAVEPOINT " + savepoint));
  undo.armed = false;
  return {};
}

}  // namespace

PgStore::Lease::Lease(PgStore* store, std::unique_ptr<PgConnection> conn)
    : store_(store), conn_(std::move(conn)) {}

PgStore::Lease::Lease(Lease&&) noexcept = default;

PgStore::PgStore(std::string conninfo, size_t pool_size)
    : conninfo_(std::move(conninfo)), pool_size_(pool_size) {}

PgStore::Lease::~Lease() {
  if (store_ && conn_)
    store_->release(std::move(conn_));
}

Result<std::unique_ptr<PgStore>> PgStore::open(std::string conninfo, size_t pool_size,
                                               std::span<const EmbeddedFile> migrations) {
  std::unique_ptr<PgStore> store(new PgStore(std::move(conninfo), std::max<size_t>(1, pool_size)));
  {
    RIS_TRY(auto lease, store->acquire());
    RIS_TRY(store->schema_version_, apply_pg_migrations(*lease, migrations));
  }
  log::info("store_opened", {{"backend", "postgres"},
                             {"pool_size", static_cast<int64_t>(store->pool_size_)},
                             {"schema_version", store->schema_version_}});
  return store;
}

PgStore::~PgStore() {
  (void)close();
}

Result<PgStore::Lease> PgStore::acquire() {
  std::unique_ptr<PgConnection> conn;
  {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + kAcquireTimeout;
    for (;;) {
      if (closed_)
        return fail(Errc::unavailable, "the database is closed");
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
        break;
      }
      if (open_ < pool_size_) {
        ++open_;  // a slot for a new connection, opened below without the lock
        break;
      }
      if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
        return fail(Errc::busy, fmt::format("all {} database connections stayed in use for {} s",
                                            pool_size_, kAcquireTimeout.count()));
      }
    }
    if (conn && conn->alive())
      return Lease(this, std::move(conn));
    const auto now = std::chrono::steady_clock::now();
    if (failing_ && now < next_connect_) {
      // Reconnecting is paced: the slot (and the broken connection, if any) goes back.
      if (conn)
        idle_.push_back(std::move(conn));
      else
        --open_;
      returned_.notify_one();
      return fail(Errc::unavailable, "the database is unavailable; reconnecting");
    }
    next_connect_ = now + backoff_;
  }

  Result<void> connected;
  if (conn) {
    connected = conn->reset();
  } else if (auto opened = PgConnection::open(conninfo_)) {
    conn = std::move(*opened);
  } else {
    connected = fail(opened.error());
  }
  std::lock_guard lock(mu_);
  if (!connected) {
    if (!failing_)
      log::warn("store_connection_lost", {{"error", connected.error().message}});
    failing_ = true;
    backoff_ =
        std::min(backoff_ * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
    if (conn)
      idle_.push_back(std::move(conn));
    else
      --open_;
    returned_.notify_one();
    return fail(connected.error());
  }
  if (failing_)
    log::info("store_connection_restored", {});
  failing_ = false;
  backoff_ = std::chrono::milliseconds(100);
  return Lease(this, std::move(conn));
}

void PgStore::release(std::unique_ptr<PgConnection> conn) {
  // A connection returned mid-transaction (a body that threw) must not carry it to the next.
  if (conn->healthy() && conn->in_transaction())
    (void)conn->run("ROLLBACK");
  std::lock_guard lock(mu_);
  if (closed_) {
    --open_;
    return;
  }
  idle_.push_back(std::move(conn));
  returned_.notify_one();
}

Result<void> PgStore::check_not_in_own_transaction() const {
  if (tl_transaction_of == this) {
    return fail(Errc::internal,
                "the store was used directly inside one of its own transactions; use the "
                "Store& passed to the transaction body");
  }
  return {};
}

Result<QueryResult> PgStore::query(std::string_view sql, std::vector<Value> params) {
  RIS_TRY_VOID(check_not_in_own_transaction());
  RIS_TRY(auto lease, acquire());
  return lease->run(sql, params);
}

Result<void> PgStore::transaction(const std::function<Result<void>(Store&)>& body) {
  RIS_TRY_VOID(check_not_in_own_transaction());
  return retry_busy([&]() -> Result<void> {
    RIS_TRY(auto lease, acquire());
    tl_transaction_of = this;
    struct Clear {
      ~Clear() { tl_transaction_of = nullptr; }
    } clear;
    return run_transaction(*lease, schema_version_, 0, body);
  });
}

Result<std::vector<QueryResult>> PgStore::run_batch(const std::vector<Statement>& statements) {
  RIS_TRY_VOID(check_not_in_own_transaction());
  std::vector<QueryResult> out;
  RIS_TRY_VOID(retry_busy([&]() -> Result<void> {
    RIS_TRY(auto lease, acquire());
    RIS_TRY(out, lease->run_pipeline(statements));
    return {};
  }));
  return out;
}

Result<void> PgStore::ping() {
  RIS_TRY_VOID(query("SELECT 1"));
  return {};
}

Result<void> PgStore::close() {
  std::vector<std::unique_ptr<PgConnection>> idle;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    open_ -= idle_.size();
    idle.swap(idle_);
  }
  returned_.notify_all();
  return {};
}

Result<void> PgStore::backup_to(const std::filesystem::path&) {
  return fail(Errc::invalid_argument,
              "this risd stores its data in PostgreSQL, whose own tools take consistent online "
              "backups: use pg_dump (logical) or pg_basebackup (physical, with WAL archiving for "
              "point-in-time recovery); see docs/operations.md");
}

}  // namespace ris::store
