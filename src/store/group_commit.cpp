#include "ris/store/group_commit.hpp"

#include <algorithm>
#include <iterator>

namespace ris::store {

GroupCommit::GroupCommit(Store& store, WorkerPool& pool, size_t max_batch)
    : store_(store), pool_(pool), max_batch_(std::max<size_t>(1, max_batch)) {}

void GroupCommit::submit(Body body, Done done) {
  std::lock_guard lock(mu_);
  pending_.push_back(Item{std::move(body), std::move(done), {}, {}});
  if (flushing_)
    return;  // the running flush takes it in its next transaction
  flushing_ = true;
  pool_.post([this] { flush(); });
}

void GroupCommit::submit(Statement statement, StatementDone done) {
  std::lock_guard lock(mu_);
  pending_.push_back(Item{{}, {}, std::move(statement), std::move(done)});
  if (flushing_)
    return;
  flushing_ = true;
  pool_.post([this] { flush(); });
}

uint64_t GroupCommit::transactions() const {
  std::lock_guard lock(mu_);
  return transactions_;
}

// Every item in its own savepoint: a failing one takes back only its own work.
void GroupCommit::run_one_by_one(std::vector<Item>& batch) {
  std::vector<Result<void>> outcomes(batch.size());
  std::vector<QueryResult> results(batch.size());
  auto committed = store_.transaction([&](Store& tx) -> Result<void> {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].body) {
        outcomes[i] = tx.transaction(batch[i].body);
      } else {
        outcomes[i] = tx.transaction([&](Store& sp) -> Result<void> {
          RIS_TRY(results[i], sp.query(batch[i].statement.sql, batch[i].statement.params));
          return {};
        });
      }
    }
    return {};
  });
  {
    std::lock_guard lock(mu_);
    ++transactions_;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Result<void> outcome =
        committed ? std::move(outcomes[i]) : Result<void>(fail(committed.error()));
    if (batch[i].body) {
      batch[i].done(std::move(outcome));
    } else {
      batch[i].statement_done(outcome ? Result<QueryResult>(std::move(results[i]))
                                      : Result<QueryResult>(fail(outcome.error())));
    }
  }
}

// One flush at a time (flushing_), on one pool thread, until nothing is pending.
void GroupCommit::flush() {
  for (;;) {
    std::vector<Item> batch;
    {
      std::lock_guard lock(mu_);
      if (pending_.empty()) {
        flushing_ = false;
        return;
      }
      const size_t n = std::min(pending_.size(), max_batch_);
      batch.assign(std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.begin() + static_cast<ptrdiff_t>(n)));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(n));
    }
    const bool statements_only =
        std::none_of(batch.begin(), batch.end(), [](const Item& i) { return bool(i.body); });
    if (statements_only) {
      std::vector<Statement> statements;
      statements.reserve(batch.size());
      for (auto& item : batch)
        statements.push_back(std::move(item.statement));
      auto results = store_.run_batch(statements);
      if (results) {
        {
          std::lock_guard lock(mu_);
          ++transactions_;
        }
        for (size_t i = 0; i < batch.size(); ++i)
          batch[i].statement_done(std::move((*results)[i]));
        continue;
      }
      for (size_t i = 0; i < batch.size(); ++i)
        batch[i].statement = std::move(statements[i]);
      // A database that is away fails every item alike; anything else may be one item's fault.
      if (results.error().code == Errc::unavailable) {
        for (auto& item : batch)
          item.statement_done(fail(results.error()));
        continue;
      }
    }
    run_one_by_one(batch);
  }
}

}  // namespace ris::store
