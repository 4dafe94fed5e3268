// Group commit: small writes from many callers committed together. Whatever is submitted while
// one transaction is being written goes into the next one, so a burst of N writes costs a few
// commits instead of N (each SQLite commit is a WAL append, its locks and, every thousand
// pages, a checkpoint). When writes are rare each still gets its own transaction at once: no
// timer, no added delay. A batch made only of single statements (submit(Statement, …)) goes to
// Store::run_batch: on PostgreSQL one round trip (pipeline mode) for the whole batch.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/store/store.hpp"

namespace ris::store {

class GroupCommit {
 public:
  using Body = std::function<Result<void>(Store&)>;
  using Done = std::function<void(Result<void>)>;
  using StatementDone = std::function<void(Result<QueryResult>)>;

  // At most `max_batch` bodies per transaction, so one transaction holds the store briefly.
  // `pool` runs the flushes: stop it before destroying this.
  GroupCommit(Store& store, WorkerPool& pool, size_t max_batch = 256);

  // Runs `body` in the next transaction, inside its own savepoint (a body that fails takes
  // back only its own work), then — on a pool thread, after the commit — `done` with the
  // body's result, or with the commit's error when the transaction as a whole failed.
  // Bodies and dones of one batch run in submission order.
  void submit(Body body, Done done);
  // The same for one statement, whose result `done` receives. A batch of statements only is
  // sent with Store::run_batch; if that fails as a whole, each runs again in its own savepoint
  // so that only the failing one fails.
  void submit(Statement statement, StatementDone done);

  uint64_t transactions() const;  // committed or failed so far

 private:
  void flush();

  Store& store_;
  WorkerPool& pool_;
  const size_t max_batch_;
  mutable std::mutex mu_;
  struct Item {
    Body body;  // empty for a statement
    Done done;
    Statement statement;
    StatementDone statement_done;
  };
  void run_one_by_one(std::vector<Item>& batch);

  std::vector<Item> pending_;
  bool flushing_ = false;
  uint64_t transactions_ = 0;
};

}  // namespace ris::store
