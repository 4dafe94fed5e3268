#include "ris/store/group_commit.hpp"

#include <algorithm>
#include <iterator>

namespace ris::store {

GroupCommit::GroupCommit(Store& store, WorkerPool& pool, size_t max_batch)
    : store_(store), pool_(pool), max_batch_(std::max<size_t>(1, max_batch)) {}

void GroupCommit::submit(Body body, Done done) {
  std::lock_guard lock(mu_);
  pending_.emplace_back(std::move(body), std::move(done));
  if (flushing_)
    return;  // the running flush takes it in its next transaction
  flushing_ = true;
  pool_.post([this] { flush(); });
}

uint64_t GroupCommit::transactions() const {
  std::lock_guard lock(mu_);
  return transactions_;
}

// One flush at a time (flushing_), on one pool thread, until nothing is pending.
void GroupCommit::flush() {
  for (;;) {
    std::vector<std::pair<Body, Done>> batch;
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
    std::vector<Result<void>> outcomes(batch.size());
    auto committed = store_.transaction([&](Store& tx) -> Result<void> {
      for (size_t i = 0; i < batch.size(); ++i)
        outcomes[i] = tx.transaction(batch[i].first);
      return {};
    });
    {
      std::lock_guard lock(mu_);
      ++transactions_;
    }
    for (size_t i = 0; i < batch.size(); ++i)
      batch[i].second(committed ? std::move(outcomes[i]) : Result<void>(fail(committed.error())));
  }
}

}  // namespace ris::store
