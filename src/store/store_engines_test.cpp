// The Store contract, run on both engines (CTest registers it as sqlite.* and postgres.*):
// what every repository relies on behaves the same on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "pg_connection.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/store/dialect.hpp"
#include "ris/store/group_commit.hpp"
#include "ris/store/store.hpp"
#include "test_support.hpp"
#include "testing/test_database.hpp"

namespace ris::store {
namespace {

class StoreEngines : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = testing::fresh_database_url(dir_.path());
    auto s = open_store(url_, dir_.path());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(
        store_->query("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0, "
                      "d DOUBLE PRECISION, s TEXT, b " +
                      std::string(store_->engine() == Engine::sqlite ? "BLOB" : "BYTEA") +
                      ", flag BIGINT NOT NULL DEFAULT 0)"));
  }
  testing::TempDir dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreEngines, reports_its_engine_and_the_migrated_schema) {
  EXPECT_EQ(store_->engine(), testing::test_engine());
  EXPECT_EQ(store_->backend(), testing::test_engine() == Engine::sqlite ? "sqlite" : "postgres");
  EXPECT_GE(store_->schema_version(), 9);
  auto r = store_->query("SELECT value FROM meta WHERE key = ?", {std::string("instance_id")});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].get<std::string>(0).size(), 36u);
}

TEST_F(StoreEngines, typed_values_round_trip) {
  const Blob blob{{0, 1, 2, 0xff, 0, 'x'}};
  ASSERT_TRUE(store_->query("INSERT INTO t (id, n, d, s, b, flag) VALUES (?, ?, ?, ?, ?, ?)",
                            {std::string("a"), int64_t{9'007'199'254'740'993}, 2.5,
                             std::string("grüße ' \" ? \\ \n"), blob, true}));
  ASSERT_TRUE(store_->query("INSERT INTO t (id, s) VALUES (?, ?)", {std::string("b"), nullptr}));
  auto r = store_->query("SELECT id, n, d, s, b, flag FROM t ORDER BY id");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 2u);
  const Row& a = r->rows[0];
  EXPECT_EQ(a.get<int64_t>("n"), 9'007'199'254'740'993);
  EXPECT_DOUBLE_EQ(a.get<double>("d"), 2.5);
  EXPECT_EQ(a.get<std::string>("s"), "grüße ' \" ? \\ \n");
  EXPECT_EQ(a.get<Blob>("b"), blob);
  EXPECT_TRUE(a.get<bool>("flag"));
  const Row& b = r->rows[1];
  EXPECT_TRUE(b.is_null("s"));
  EXPECT_TRUE(b.is_null("d"));
  EXPECT_FALSE(b.get<bool>("flag"));
  EXPECT_FALSE(b.get_optional<std::string>("s"));
}

TEST_F(StoreEngines, placeholders_inside_quotes_are_text) {
  auto r = store_->query("SELECT '?' AS q, CAST(? AS TEXT) AS p", {std::string("x")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->rows[0].get<std::string>("q"), "?");
  EXPECT_EQ(r->rows[0].get<std::string>("p"), "x");
}

TEST_F(StoreEngines, aggregates_read_as_integers) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(
        store_->query("INSERT INTO t (id, n) VALUES (?, ?)", {std::to_string(i), int64_t{i * 10}}));
  }
  auto r = store_->query("SELECT COUNT(*) AS c, SUM(n) AS s, MAX(n) AS m, " +
                         dialect::group_concat(store_->engine(), "id") + " AS ids FROM t");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->rows[0].get<int64_t>("c"), 3);
  EXPECT_EQ(r->rows[0].get<int64_t>("s"), 60);
  EXPECT_EQ(r->rows[0].get<int64_t>("m"), 30);
  EXPECT_EQ(r->rows[0].get<std::string>("ids").size(), 5u);  // "1,2,3" in some order
}

TEST_F(StoreEngines, changes_count_written_rows_and_returning_reads_them_back) {
  ASSERT_TRUE(store_->query("INSERT INTO t (id) VALUES ('a'), ('b'), ('c')"));
  auto u = store_->query("UPDATE t SET n = n + 1 WHERE id <> ?", {std::string("a")});
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->changes, 2);
  auto sel = store_->query("SELECT id FROM t");
  ASSERT_TRUE(sel);
  EXPECT_EQ(sel->changes, 0);
  auto ret = store_->query("UPDATE t SET n = 5 WHERE id = ? RETURNING id, n", {std::string("b")});
  ASSERT_TRUE(ret) << ret.error().message;
  ASSERT_EQ(ret->rows.size(), 1u);
  EXPECT_EQ(ret->rows[0].get<int64_t>("n"), 5);
  EXPECT_EQ(ret->changes, 1);
}

TEST_F(StoreEngines, upserts_are_written_once_for_both_engines) {
  const char* sql =
      "INSERT INTO t (id, n) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET n = t.n + excluded.n";
  ASSERT_TRUE(store_->query(sql, {std::string("k"), int64_t{1}}));
  ASSERT_TRUE(store_->query(sql, {std::string("k"), int64_t{2}}));
  auto ignored = store_->query("INSERT INTO t (id) VALUES (?) ON CONFLICT (id) DO NOTHING",
                               {std::string("k")});
  ASSERT_TRUE(ignored) << ignored.error().message;
  EXPECT_EQ(ignored->changes, 0);
  auto r = store_->query("SELECT n FROM t WHERE id = 'k'");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rows[0].get<int64_t>(0), 3);
}

TEST_F(StoreEngines, a_duplicate_key_is_a_conflict) {
  ASSERT_TRUE(store_->query("INSERT INTO t (id) VALUES ('x')"));
  auto dup = store_->query("INSERT INTO t (id) VALUES ('x')");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::conflict);
  auto bad = store_->query("SELEKT nonsense");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::internal);
}

TEST_F(StoreEngines, a_failed_body_rolls_back_and_a_nested_failure_only_its_savepoint) {
  auto outer = store_->transaction([](Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("INSERT INTO t (id) VALUES ('kept')"));
    auto inner = tx.transaction([](Store& tx2) -> Result<void> {
      RIS_TRY_VOID(tx2.query("INSERT INTO t (id) VALUES ('undone')"));
      RIS_TRY_VOID(tx2.query("INSERT INTO t (id) VALUES ('kept')"));  // conflict
      return {};
    });
    EXPECT_FALSE(inner);
    return {};
  });
  ASSERT_TRUE(outer) << outer.error().message;
  auto failed = store_->transaction([](Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("INSERT INTO t (id) VALUES ('gone')"));
    return fail(Errc::invalid_argument, "no");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::invalid_argument);
  auto r = store_->query("SELECT id FROM t ORDER BY id");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].get<std::string>(0), "kept");
}

TEST_F(StoreEngines, the_store_refuses_use_from_inside_its_own_transaction) {
  auto r = store_->transaction([&](Store&) -> Result<void> {
    auto inner = store_->query("SELECT 1");
    EXPECT_FALSE(inner);
    EXPECT_EQ(inner.error().code, Errc::internal);
    return {};
  });
  EXPECT_TRUE(r) << r.error().message;
}

// Read-modify-write from several threads: serializable transactions (retried on busy) lose
// no increment on either engine.
TEST_F(StoreEngines, concurrent_read_modify_write_transactions_lose_nothing) {
  ASSERT_TRUE(store_->query("INSERT INTO t (id, n) VALUES ('counter', 0)"));
  constexpr int kThreads = 4, kEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) {
        auto r = store_->transaction([](Store& tx) -> Result<void> {
          RIS_TRY(auto cur, tx.query("SELECT n FROM t WHERE id = 'counter'"));
          const int64_t n = cur.rows.at(0).get<int64_t>(0);
          RIS_TRY_VOID(tx.query("UPDATE t SET n = ? WHERE id = 'counter'", {n + 1}));
          return {};
        });
        if (!r)
          ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  auto r = store_->query("SELECT n FROM t WHERE id = 'counter'");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rows[0].get<int64_t>(0), kThreads * kEach);
}

TEST_F(StoreEngines, backups_are_taken_online_on_sqlite_and_refused_with_advice_on_postgres) {
  ASSERT_TRUE(store_->query("INSERT INTO t (id) VALUES ('a')"));
  auto b = store_->backup_to(dir_.path() / "backup.db");
  if (store_->engine() == Engine::sqlite) {
    ASSERT_TRUE(b) << b.error().message;
    auto copy = open_store("sqlite:" + (dir_.path() / "backup.db").string(), dir_.path());
    ASSERT_TRUE(copy) << copy.error().message;
    auto r = (*copy)->query("SELECT id FROM t");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rows.size(), 1u);
  } else {
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::invalid_argument);
    EXPECT_NE(b.error().message.find("pg_dump"), std::string::npos);
  }
}

TEST_F(StoreEngines, a_batch_is_all_or_nothing) {
  auto ok = store_->run_batch(
      {{"INSERT INTO t (id, n) VALUES (?, ?) RETURNING n", {std::string("a"), int64_t{1}}},
       {"UPDATE t SET n = n + 1 WHERE id = ? RETURNING n", {std::string("a")}}});
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].rows.at(0).get<int64_t>(0), 1);
  EXPECT_EQ((*ok)[1].rows.at(0).get<int64_t>(0), 2);
  EXPECT_EQ((*ok)[1].changes, 1);
  auto bad = store_->run_batch({{"INSERT INTO t (id) VALUES (?)", {std::string("b")}},
                                {"INSERT INTO t (id) VALUES (?)", {std::string("a")}},  // duplicate
                                {"INSERT INTO t (id) VALUES (?)", {std::string("c")}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::conflict);
  auto r = store_->query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rows[0].get<int64_t>(0), 1);
  // The connection is usable afterwards.
  EXPECT_TRUE(store_->run_batch({{"INSERT INTO t (id) VALUES ('d')", {}}}));
}

// Group-committed statements: a batch with one bad statement still stores the others.
TEST_F(StoreEngines, group_committed_statements_fail_one_by_one) {
  ASSERT_TRUE(store_->query("INSERT INTO t (id) VALUES ('taken')"));
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, failed = 0;
  {
    WorkerPool pool(2);
    GroupCommit commits(*store_, pool);
    for (int i = 0; i < 200; ++i) {
      const std::string id = i == 100 ? "taken" : "row" + std::to_string(i);
      commits.submit(Statement{"INSERT INTO t (id, n) VALUES (?, ?) RETURNING n", {id, int64_t{i}}},
                     [&, i](Result<QueryResult> r) {
                       std::lock_guard lock(mu);
                       ++done;
                       if (!r)
                         ++failed;
                       else
                         EXPECT_EQ(r->rows.at(0).get<int64_t>(0), i);
                       cv.notify_all();
                     });
    }
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == 200; }));
    pool.stop();
  }
  EXPECT_EQ(failed, 1);
  auto r = store_->query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rows[0].get<int64_t>(0), 200);
}

// PostgreSQL only. A pooled connection the server ended while it sat idle (a restart, a failover,
// pg_terminate_backend) is noticed before use: the next request gets a fresh connection instead
// of an error.
class PostgresPool : public StoreEngines {};

TEST_F(PostgresPool, an_idle_connection_the_server_ended_is_replaced_before_use) {
  ASSERT_TRUE(store_->query("INSERT INTO t (id) VALUES ('before')"));  // one idle connection now
  auto other = PgConnection::open(url_);
  ASSERT_TRUE(other) << other.error().message;
  auto ended = (*other)->run(
      "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
      "datname = current_database() AND pid <> pg_backend_pid()) AS killed");
  ASSERT_TRUE(ended) << ended.error().message;
  ASSERT_GE(ended->rows.at(0).get<int64_t>(0), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the FATAL message arrives
  for (int i = 0; i < 3; ++i) {
    auto r = store_->query("SELECT COUNT(*) FROM t");
    ASSERT_TRUE(r) << "request " << i << ": " << r.error().message;
    EXPECT_EQ(r->rows[0].get<int64_t>(0), 1);
  }
}

}  // namespace
}  // namespace ris::store
