// The PostgreSQL backend of Store: a pool of libpq connections.
//
// Readers and writers run in parallel on their own connections; transactions are SERIALIZABLE
// (what SQLite's single writer gave every caller; batches, whose statements are fixed before
// they run, are READ COMMITTED: see Store::run_batch) and are retried by retry_busy when PostgreSQL
// reports a serialization failure or deadlock. A lost connection is re-established on next use,
// at most once per back-off period (100 ms doubling to 2 s) across the pool, so a database that
// is away costs callers an immediate Errc::unavailable, not a connect timeout each. Private to
// the store module; callers reach it through open_store.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ris/core/embedded_file.hpp"
#include "ris/store/store.hpp"

namespace ris::store {

class PgConnection;

class PgStore final : public Store {
 public:
  // `conninfo` goes to libpq as given; at most `pool_size` connections are opened.
  static Result<std::unique_ptr<PgStore>> open(std::string conninfo, size_t pool_size,
                                               std::span<const EmbeddedFile> migrations);
  ~PgStore() override;

  Result<QueryResult> query(std::string_view sql, std::vector<Value> params = {}) override;
  Result<void> transaction(const std::function<Result<void>(Store&)>& body) override;
  Result<std::vector<QueryResult>> run_batch(const std::vector<Statement>& statements) override;
  Result<void> ping() override;
  std::string_view backend() const override { return "postgres"; }
  Engine engine() const override { return Engine::postgres; }
  int schema_version() const override { return schema_version_; }
  Result<void> close() override;
  Result<void> backup_to(const std::filesystem::path& file) override;

  // A connection handed out by the pool; returns to it when destroyed.
  class Lease {
   public:
    Lease(PgStore* store, std::unique_ptr<PgConnection> conn);
    Lease(Lease&&) noexcept;
    ~Lease();
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    PgStore* store_;
    std::unique_ptr<PgConnection> conn_;
  };

 private:
  PgStore(std::string conninfo, size_t pool_size);
  Result<Lease> acquire();
  void release(std::unique_ptr<PgConnection> conn);
  Result<void> check_not_in_own_transaction() const;

  const std::string conninfo_;
  const size_t pool_size_;
  int schema_version_ = 0;

  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  size_t open_ = 0;  // idle or leased
  bool closed_ = false;
  std::chrono::steady_clock::time_point next_connect_{};
  std::chrono::milliseconds backoff_{100};
  bool failing_ = false;  // the last connection attempt failed: wait for next_connect_
};

}  // namespace ris::store
