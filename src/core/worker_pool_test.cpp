#include "ris/core/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace ris {
namespace {
TEST(WorkerPool, runs_every_posted_job_before_stop_returns) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(3);
    for (int i = 0; i < 1000; ++i)
      pool.post([&] { done.fetch_add(1); });
    pool.stop();
    EXPECT_EQ(done.load(), 1000);
    pool.post([&] { done.fetch_add(1); });  // after stop: dropped, not run
  }
  EXPECT_EQ(done.load(), 1000);
}
}  // namespace
}  // namespace ris
