// The SQLite backend of Store: one database file in WAL mode.
//
// One connection, serialised by a mutex: SQLite allows one writer at a time anyway, and WAL
// lets other processes read meanwhile. A transaction holds the mutex from BEGIN IMMEDIATE to
// COMMIT, so other threads wait for it instead of failing with SQLITE_BUSY. Private to the
// store module; callers reach it through open_store.
#pragma once
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "ris/core/embedded_file.hpp"
#include "ris/store/store.hpp"
#include "sqlite_connection.hpp"

namespace ris::store {

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path` and applies `migrations`.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                   std::span<const EmbeddedFile> migrations);
  ~SqliteStore() override;

  Result<QueryResult> query(std::string_view sql, std::vector<Value> params = {}) override;
  Result<void> transaction(const std::function<Result<void>(Store&)>& body) override;
  Result<void> ping() override;
  std::string_view backend() const override { return "sqlite"; }
  Engine engine() const override { return Engine::sqlite; }
  int schema_version() const override { return schema_version_; }
  Result<void> close() override;
  Result<void> backup_to(const std::filesystem::path& file) override;

 private:
  SqliteStore(std::unique_ptr<SqliteConnection> conn, int schema_version)
      : conn_(std::move(conn)), schema_version_(schema_version) {}
  // Refuses use of this store by the thread running one of its transactions, which would
  // otherwise wait for itself forever.
  Result<void> check_not_in_own_transaction() const;

  std::mutex mutex_;
  std::atomic<std::thread::id> transaction_thread_{};
  std::unique_ptr<SqliteConnection> conn_;
  const int schema_version_;
};

}  // namespace ris::store
