// Duties under a lease with a fencing epoch: two Duty objects for two server ids on one database
// stand for two risd processes. The clock is the tests' own (times passed to hold and fence), so
// a lapsed lease needs no waiting. Runs once per engine.
#include "ris/cluster/duty.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "duty_repository.hpp"
#include "store/test_support.hpp"
#include "store/testing/test_database.hpp"

namespace ris::cluster {
namespace {
using namespace std::chrono_literals;

constexpr auto kTtl = 10s;

class Duties : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store(store::testing::fresh_database_url(dir_.path()), dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    // What a duty writes, for checking that a fenced-off transaction leaves nothing behind.
    ASSERT_TRUE(store_->query("CREATE TABLE duty_writes (id TEXT PRIMARY KEY)"));
  }

  // One write of the duty: the row `id` and the fence, in one transaction.
  Result<void> write(Duty& duty, int64_t epoch, const std::string& id, SystemTime now) {
    return store_->transaction([&](store::Store& tx) -> Result<void> {
      RIS_TRY_VOID(tx.query("INSERT INTO duty_writes (id) VALUES (?)", {id}));
      return duty.fence(tx, epoch, now);
    });
  }
  bool written(const std::string& id) {
    auto rows = store_->query("SELECT id FROM duty_writes WHERE id = ?", {id});
    EXPECT_TRUE(rows) << rows.error().message;
    return rows && !rows->rows.empty();
  }
  std::optional<int64_t> hold(Duty& duty, SystemTime now) {
    auto held = duty.hold(now);
    EXPECT_TRUE(held) << held.error().message;
    return held ? *held : std::nullopt;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  const SystemTime t0_ = std::chrono::system_clock::now();
};

TEST_F(Duties, only_one_server_holds_the_duty) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  EXPECT_EQ(hold(one, t0_), 1);
  EXPECT_EQ(hold(two, t0_ + 1s), std::nullopt);
  EXPECT_EQ(one.held(), 1);
  EXPECT_EQ(two.held(), std::nullopt);
  auto row = DutyRepository(*store_).find("sweeper");
  ASSERT_TRUE(row && row->has_value());
  EXPECT_EQ((*row)->holder, "one");
  EXPECT_EQ((*row)->lease_until, to_rfc3339(t0_ + kTtl));
}

TEST_F(Duties, other_duties_are_held_apart) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "scheduler", "two", kTtl);
  EXPECT_EQ(hold(one, t0_), 1);
  EXPECT_EQ(hold(two, t0_), 1);
}

TEST_F(Duties, renewal_keeps_the_epoch_and_moves_the_lease) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  EXPECT_EQ(hold(one, t0_), 1);
  EXPECT_EQ(hold(one, t0_ + 8s), 1);
  EXPECT_EQ(hold(two, t0_ + 15s), std::nullopt) << "renewed at +8 s: held until +18 s";
  EXPECT_EQ(hold(one, t0_ + 16s), 1);
  auto row = DutyRepository(*store_).find("sweeper");
  ASSERT_TRUE(row && row->has_value());
  EXPECT_EQ((*row)->lease_until, to_rfc3339(t0_ + 16s + kTtl));
  EXPECT_EQ((*row)->acquired_at, to_rfc3339(t0_)) << "the same tenure";
}

TEST_F(Duties, after_the_lease_lapses_another_server_takes_over_with_a_new_epoch) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  EXPECT_EQ(hold(one, t0_), 1);
  EXPECT_EQ(hold(two, t0_ + kTtl + 1ms), 2);
  EXPECT_EQ(hold(two, t0_ + kTtl + 2s), 2) << "renewed";
  auto row = DutyRepository(*store_).find("sweeper");
  ASSERT_TRUE(row && row->has_value());
  EXPECT_EQ((*row)->holder, "two");
  EXPECT_EQ((*row)->acquired_at, to_rfc3339(t0_ + kTtl + 1ms));
}

TEST_F(Duties, a_server_cannot_renew_a_duty_another_took_over) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  EXPECT_EQ(hold(one, t0_), 1);
  EXPECT_EQ(hold(two, t0_ + 11s), 2);
  // "one" wakes up from a pause: its own clock says +5 s, the row says "two" until +21 s.
  EXPECT_EQ(hold(one, t0_ + 5s), std::nullopt);
  EXPECT_EQ(one.held(), std::nullopt) << "it knows it lost the duty";
  EXPECT_EQ(hold(one, t0_ + 15s), std::nullopt);
  EXPECT_EQ(hold(two, t0_ + 15s), 2);
  // Once "two" lapses in turn, "one" may take it again, under a newer epoch still.
  EXPECT_EQ(hold(one, t0_ + 26s), 3);
}

TEST_F(Duties, the_holders_fenced_write_is_kept) {
  Duty one(*store_, "sweeper", "one", kTtl);
  const auto epoch = hold(one, t0_);
  ASSERT_EQ(epoch, 1);
  auto w = write(one, *epoch, "first", t0_ + 1s);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_TRUE(written("first"));
}

TEST_F(Duties, a_stale_holders_write_is_rolled_back) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  ASSERT_EQ(hold(one, t0_), 1);
  ASSERT_EQ(hold(two, t0_ + 11s), 2);
  // "one" was paused after hold(): its clock still says its lease runs.
  auto w = write(one, 1, "stale", t0_ + 1s);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::conflict);
  EXPECT_EQ(w.error().message, "duty sweeper is no longer held by this server (epoch 1)");
  EXPECT_FALSE(written("stale"));
  EXPECT_EQ(one.held(), std::nullopt);
  auto fresh = write(two, 2, "fresh", t0_ + 12s);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_TRUE(written("fresh"));
}

TEST_F(Duties, a_holder_answering_from_memory_is_still_fenced_off) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  ASSERT_EQ(hold(one, t0_), 1);
  ASSERT_EQ(hold(two, t0_ + 11s), 2);
  // Within a quarter of the ttl since its last renewal (by its own clock), "one" does not ask.
  EXPECT_EQ(hold(one, t0_ + 1s), 1);
  EXPECT_FALSE(write(one, 1, "stale", t0_ + 1s));
  EXPECT_FALSE(written("stale"));
  EXPECT_EQ(hold(one, t0_ + 2s), std::nullopt) << "the failed fence told it";
}

TEST_F(Duties, a_write_after_the_own_lease_lapsed_is_rolled_back) {
  Duty one(*store_, "sweeper", "one", kTtl);
  ASSERT_EQ(hold(one, t0_), 1);
  auto w = write(one, 1, "late", t0_ + kTtl);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::conflict);
  EXPECT_FALSE(written("late"));
}

TEST_F(Duties, release_lets_another_server_take_it_at_once) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  ASSERT_EQ(hold(one, t0_), 1);
  ASSERT_TRUE(one.release());
  EXPECT_EQ(one.held(), std::nullopt);
  EXPECT_FALSE(write(one, 1, "released", t0_ + 1s)) << "released: no longer fenced in";
  EXPECT_EQ(hold(two, t0_ + 1s), 2) << "long before the lease would have lapsed";
  ASSERT_TRUE(one.release()) << "idempotent";
  EXPECT_EQ(hold(one, t0_ + 2s), std::nullopt);
}

TEST_F(Duties, a_restarted_server_takes_its_duty_back_under_a_new_epoch) {
  Duty before(*store_, "sweeper", "one", kTtl);
  ASSERT_EQ(hold(before, t0_), 1);
  // The same server id in a new process: its earlier life may still be paused somewhere.
  Duty after(*store_, "sweeper", "one", kTtl);
  EXPECT_EQ(hold(after, t0_ + 1s), 2);
  EXPECT_FALSE(write(before, 1, "old life", t0_ + 2s));
  EXPECT_FALSE(written("old life"));
}

TEST_F(Duties, of_servers_racing_for_a_free_duty_one_wins) {
  constexpr int kServers = 4;
  std::vector<std::unique_ptr<Duty>> duties;
  for (int i = 0; i < kServers; ++i)
    duties.push_back(std::make_unique<Duty>(*store_, "sweeper", "s" + std::to_string(i), kTtl));
  std::vector<Result<std::optional<int64_t>>> held(kServers, std::optional<int64_t>());
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kServers; ++i)
      threads.emplace_back([&, i] { held[i] = duties[i]->hold(t0_); });
  }
  int winners = 0;
  for (const auto& h : held) {
    ASSERT_TRUE(h) << h.error().message;
    if (h->has_value()) {
      ++winners;
      EXPECT_EQ(**h, 1);
    }
  }
  EXPECT_EQ(winners, 1);
}

// Races of concurrent writers: PostgreSQL only (suites named Postgres* are not registered for
// SQLite, which serialises writers, so these interleavings cannot happen there).
class PostgresDuties : public Duties {
 protected:
  void SetUp() override {
    ASSERT_EQ(store::testing::test_engine(), store::Engine::postgres)
        << "registered for PostgreSQL only (cmake/warnings.cmake)";
    Duties::SetUp();
  }
};

// PostgreSQL runs transactions side by side: the stale holder's transaction has begun (and
// written) when the take-over commits, then reaches its fence. It collides with the take-over,
// is retried by the store, and its fence then fails: the write is gone. (On SQLite the take-over
// would wait for the writer's lock, so this interleaving cannot happen.)
TEST_F(PostgresDuties, a_take_over_during_the_stale_holders_transaction_rolls_its_write_back) {
  Duty one(*store_, "sweeper", "one", kTtl), two(*store_, "sweeper", "two", kTtl);
  ASSERT_EQ(hold(one, t0_), 1);
  std::promise<void> wrote, taken;
  auto taken_future = taken.get_future();
  int attempts = 0;
  Result<void> stale;
  std::jthread writer([&] {
    stale = store_->transaction([&](store::Store& tx) -> Result<void> {
      RIS_TRY_VOID(tx.query("INSERT INTO duty_writes (id) VALUES (?)", {std::string("stale")}));
      if (++attempts == 1) {
        wrote.set_value();
        taken_future.wait();
      }
      return one.fence(tx, 1, t0_ + 1s);  // its clock says the lease runs
    });
  });
  wrote.get_future().wait();
  EXPECT_EQ(hold(two, t0_ + 11s), 2);
  taken.set_value();
  writer.join();
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::conflict) << stale.error().message;
  EXPECT_GE(attempts, 2) << "the first attempt collided with the take-over";
  EXPECT_FALSE(written("stale"));
}

// The other order: the stale holder's fence has run (taking the duty's row lock) when the
// take-over starts. The take-over waits for the transaction or collides with it; either way the
// end is consistent: a kept write was made under the old epoch before the take-over, a dropped
// one leaves nothing, and the new holder has a new epoch.
TEST_F(PostgresDuties, a_take_over_racing_a_fenced_write_never_sees_it_half_done) {
  for (int round = 0; round < 20; ++round) {
    const std::string name = "race-" + std::to_string(round), id = "write-" + name;
    Duty one(*store_, name, "one", kTtl), two(*store_, name, "two", kTtl);
    ASSERT_EQ(hold(one, t0_), 1);
    std::promise<void> fenced;
    Result<void> stale;
    std::jthread writer([&] {
      bool told = false;
      stale = store_->transaction([&](store::Store& tx) -> Result<void> {
        RIS_TRY_VOID(one.fence(tx, 1, t0_ + 1s));
        if (!told) {
          told = true;
          fenced.set_value();
        }
        RIS_TRY_VOID(tx.query("INSERT INTO duty_writes (id) VALUES (?)", {id}));
        return {};
      });
    });
    fenced.get_future().wait();
    EXPECT_EQ(hold(two, t0_ + 11s), 2);
    writer.join();
    auto row = DutyRepository(*store_).find(name);
    ASSERT_TRUE(row && row->has_value());
    EXPECT_EQ((*row)->holder, "two");
    EXPECT_EQ(written(id), stale.has_value()) << (stale ? "" : stale.error().message);
  }
}

}  // namespace
}  // namespace ris::cluster
