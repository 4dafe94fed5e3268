// GroupCommit over the real SQLite store: bursts share transactions, each write's outcome is
// its own, and a done runs only once its write is committed.
#include "ris/store/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "test_support.hpp"

namespace ris::store {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_store("", dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"));
  }

  // Blocks until `n` dones have run.
  void wait_for(int n) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(30), [&] { return done_ >= n; }));
  }
  GroupCommit::Done counted(std::function<void(Result<void>)> check) {
    return [this, check = std::move(check)](Result<void> r) {
      check(std::move(r));
      std::lock_guard lock(mu_);
      ++done_;
      cv_.notify_all();
    };
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
  WorkerPool pool_{4};  // last: stopped first, before anything its threads use
};

TEST_F(GroupCommitTest, a_burst_shares_transactions_and_every_write_is_committed_before_its_done) {
  GroupCommit commits(*store_, pool_, 64);
  constexpr int kWrites = 2000;
  std::atomic<int> seen_uncommitted{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = t; i < kWrites; i += 4)
        commits.submit(
            [i](Store& tx) -> Result<void> {
              RIS_TRY_VOID(tx.query("INSERT INTO items (id, name) VALUES (?, ?)",
                                    {int64_t{i}, "item " + std::to_string(i)}));
              return {};
            },
            counted([&, i](Result<void> r) {
              EXPECT_TRUE(r) << r.error().message;
              // Read outside the transaction: the row must already be committed.
              auto row = store_->query("SELECT COUNT(*) FROM items WHERE id = ?", {int64_t{i}});
              if (!row || row->rows.at(0).get<int64_t>(0) != 1)
                ++seen_uncommitted;
            }));
    });
  for (auto& w : writers)
    w.join();
  wait_for(kWrites);
  EXPECT_EQ(seen_uncommitted.load(), 0);
  EXPECT_EQ(store_->query("SELECT COUNT(*) FROM items")->rows.at(0).get<int64_t>(0), kWrites);
  // Grouped: far fewer transactions than writes, and never more than 64 writes in one.
  EXPECT_LT(commits.transactions(), static_cast<uint64_t>(kWrites / 4));
  EXPECT_GE(commits.transactions(), static_cast<uint64_t>(kWrites / 64));
  pool_.stop();  // the flush may still be looking for more work: let it end before `commits`
}

TEST_F(GroupCommitTest, a_failing_write_takes_back_only_its_own_work) {
  GroupCommit commits(*store_, pool_);
  ASSERT_TRUE(store_->query("INSERT INTO items (id, name) VALUES (1, 'taken')"));
  std::vector<int> order;
  Result<void> clash;
  // Hold the store so all three land in one transaction.
  std::mutex gate;
  std::unique_lock hold(gate);
  commits.submit(
      [&](Store&) -> Result<void> {
        std::lock_guard wait(gate);
        return {};
      },
      counted([](Result<void> r) { EXPECT_TRUE(r); }));
  commits.submit(
      [](Store& tx) -> Result<void> {
        RIS_TRY_VOID(tx.query("INSERT INTO items (id, name) VALUES (2, 'two')"));
        RIS_TRY_VOID(tx.query("INSERT INTO items (id, name) VALUES (3, 'taken')"));  // clashes
        return {};
      },
      counted([&](Result<void> r) {
        clash = std::move(r);
        order.push_back(2);
      }));
  commits.submit(
      [](Store& tx) -> Result<void> {
        RIS_TRY_VOID(tx.query("INSERT INTO items (id, name) VALUES (4, 'four')"));
        return {};
      },
      counted([&](Result<void> r) {
        EXPECT_TRUE(r);
        order.push_back(4);
      }));
  hold.unlock();
  wait_for(3);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, Errc::conflict);
  EXPECT_EQ(order, (std::vector<int>{2, 4}));
  auto names = store_->query("SELECT name FROM items ORDER BY id");
  ASSERT_TRUE(names);
  ASSERT_EQ(names->rows.size(), 2u);  // 'taken' and 'four': the failed write left nothing
  EXPECT_EQ(names->rows[1].get<std::string>(0), "four");
  pool_.stop();
}

TEST_F(GroupCommitTest, a_failed_commit_reaches_every_done_of_its_batch) {
  GroupCommit commits(*store_, pool_);
  ASSERT_TRUE(store_->close());
  std::atomic<int> failed{0};
  for (int i = 0; i < 3; ++i)
    commits.submit([](Store&) -> Result<void> { return {}; },
                   counted([&](Result<void> r) { failed += !r; }));
  wait_for(3);
  EXPECT_EQ(failed.load(), 3);
  pool_.stop();
}

}  // namespace
}  // namespace ris::store
