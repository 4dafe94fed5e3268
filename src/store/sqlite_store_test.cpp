// The SQLite backend seen through the Store interface, as every module uses it.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "migrations.hpp"
#include "ris/store/meta.hpp"
#include "ris/store/store.hpp"
#include "test_support.hpp"

namespace ris::store {
namespace {

using testing::TempDir;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_store("", dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"));
  }

  int64_t count(Store& store, const std::string& table = "items") {
    auto r = store.query("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->rows.at(0).get<int64_t>(0) : -1;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, open_creates_a_wal_database_with_foreign_keys_and_every_migration) {
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "ris.db"));
  EXPECT_EQ(store_->backend(), "sqlite");
  EXPECT_EQ(store_->schema_version(), static_cast<int>(sqlite_migration_files().size()));
  EXPECT_EQ(store_->query("PRAGMA journal_mode")->rows.at(0).get<std::string>(0), "wal");
  EXPECT_EQ(store_->query("PRAGMA foreign_keys")->rows.at(0).get<int64_t>(0), 1);
  EXPECT_EQ(store_->query("PRAGMA synchronous")->rows.at(0).get<int64_t>(0), 1);  // NORMAL
  EXPECT_EQ(count(*store_, "schema_migrations"), store_->schema_version());
  auto id = instance_id(*store_);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->size(), 36u);
  EXPECT_TRUE(store_->ping());
}

TEST_F(SqliteStoreTest, reopening_applies_nothing_new_and_keeps_the_instance_id) {
  const std::string id = *instance_id(*store_);
  const auto applied = store_->query("SELECT version, applied_at FROM schema_migrations")->rows;
  ASSERT_TRUE(store_->close());
  auto again = open_store("", dir_.path());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*instance_id(**again), id);
  const auto after = (*again)->query("SELECT version, applied_at FROM schema_migrations")->rows;
  ASSERT_EQ(after.size(), applied.size());
  for (size_t i = 0; i < after.size(); ++i)
    EXPECT_EQ(after[i].values(), applied[i].values());
}

TEST_F(SqliteStoreTest, every_value_type_round_trips) {
  ASSERT_TRUE(store_->query("CREATE TABLE v (n, i, d, s, b, e)"));
  const std::string text("quote ' and \0 nul", 17);
  const Blob blob{{0, 1, 2, 255}};
  auto ins = store_->query("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)",
                           {nullptr, int64_t{-9007199254740993}, 3.25, text, blob, Blob{}});
  ASSERT_TRUE(ins) << ins.error().message;
  EXPECT_EQ(ins->changes, 1);
  auto r = store_->query("SELECT n, i, d, s, b, e, typeof(e) FROM v");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->columns, (std::vector<std::string>{"n", "i", "d", "s", "b", "e", "typeof(e)"}));
  ASSERT_EQ(r->rows.size(), 1u);
  const Row& row = r->rows[0];
  EXPECT_TRUE(row.is_null("n"));
  EXPECT_EQ(row.value("i"), Value(int64_t{-9007199254740993}));
  EXPECT_EQ(row.value("d"), Value(3.25));
  EXPECT_EQ(row.value("s"), Value(text));
  EXPECT_EQ(row.value("b"), Value(blob));
  EXPECT_EQ(row.value("e"), Value(Blob{}));
  EXPECT_EQ(row.get<std::string>(6), "blob");
}

TEST_F(SqliteStoreTest, parameters_are_bound_never_spliced) {
  const std::string evil = "x'); DROP TABLE items; --";
  ASSERT_TRUE(store_->query("INSERT INTO items (name) VALUES (?)", {evil}));
  auto r = store_->query("SELECT name FROM items WHERE name = ?", {evil});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].get<std::string>("name"), evil);
}

TEST_F(SqliteStoreTest, changes_counts_the_rows_this_statement_touched) {
  for (auto name : {"a", "b", "c"})
    ASSERT_TRUE(store_->query("INSERT INTO items (name) VALUES (?)", {name}));
  EXPECT_EQ(store_->query("UPDATE items SET name = name || '!' WHERE name <> ?", {"a"})->changes,
            2);
  EXPECT_EQ(store_->query("SELECT * FROM items")->changes, 0);
  EXPECT_EQ(store_->query("CREATE TABLE other (x)")->changes, 0);
  auto ret = store_->query("INSERT INTO items (name) VALUES (?) RETURNING id", {"d"});
  ASSERT_TRUE(ret) << ret.error().message;
  EXPECT_EQ(ret->rows.at(0).get<int64_t>("id"), 4);
}

TEST_F(SqliteStoreTest, transaction_commits_when_the_body_succeeds) {
  auto r = store_->transaction([](Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {"one"}));
    RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {"two"}));
    return {};
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(count(*store_), 2);
}

TEST_F(SqliteStoreTest, transaction_rolls_back_when_the_body_fails) {
  auto r = store_->transaction([](Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {"kept?"}));
    return fail(Errc::forbidden, "changed my mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::forbidden);
  EXPECT_EQ(r.error().message, "changed my mind");
  EXPECT_EQ(count(*store_), 0);
  // A failed statement inside the body undoes the whole transaction too.
  r = store_->transaction([](Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {"dup"}));
    RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {"dup"}));
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_EQ(count(*store_), 0);
}

TEST_F(SqliteStoreTest, nested_transaction_failure_undoes_only_its_own_work) {
  auto r = store_->transaction([](Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {"outer"}));
    auto inner = tx.transaction([](Store& tx2) -> Result<void> {
      RIS_TRY_VOID(tx2.query("INSERT INTO items (name) VALUES (?)", {"inner"}));
      return fail(Errc::conflict, "no");
    });
    EXPECT_FALSE(inner);
    return {};
  });
  ASSERT_TRUE(r) << r.error().message;
  auto names = store_->query("SELECT name FROM items");
  ASSERT_EQ(names->rows.size(), 1u);
  EXPECT_EQ(names->rows[0].get<std::string>(0), "outer");
}

TEST_F(SqliteStoreTest, using_the_outer_store_inside_its_transaction_is_an_error_not_a_deadlock) {
  Store& outer = *store_;
  auto r = store_->transaction([&outer](Store&) -> Result<void> {
    auto q = outer.query("SELECT 1");
    EXPECT_FALSE(q);
    if (!q) {
      EXPECT_NE(q.error().message.find("transaction body"), std::string::npos);
    }
    return {};
  });
  EXPECT_TRUE(r);
  EXPECT_TRUE(store_->query("SELECT 1"));
}

TEST_F(SqliteStoreTest, constraint_violations_are_conflicts) {
  ASSERT_TRUE(store_->query("INSERT INTO items (name) VALUES (?)", {"same"}));
  auto dup = store_->query("INSERT INTO items (name) VALUES (?)", {"same"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::conflict);
  EXPECT_NE(dup.error().message.find("UNIQUE constraint failed"), std::string::npos)
      << dup.error().message;

  ASSERT_TRUE(store_->query("CREATE TABLE child (item_id INTEGER NOT NULL REFERENCES items(id))"));
  auto orphan = store_->query("INSERT INTO child (item_id) VALUES (?)", {int64_t{999}});
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, Errc::conflict);
  auto missing = store_->query("INSERT INTO child (item_id) VALUES (?)", {nullptr});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::conflict);
}

TEST_F(SqliteStoreTest, bad_statements_are_errors_with_sqlites_message) {
  auto syntax = store_->query("SELEC 1");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code, Errc::internal);
  EXPECT_NE(syntax.error().message.find("syntax error"), std::string::npos);
  EXPECT_FALSE(store_->query("SELECT 1; DROP TABLE items"));
  EXPECT_EQ(count(*store_), 0);  // the second statement never ran
  EXPECT_FALSE(store_->query("SELECT ?", {}));
  EXPECT_TRUE(store_->query("SELECT 1;  "));
}

TEST_F(SqliteStoreTest, four_threads_inserting_concurrently_all_land) {
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string name = std::to_string(t) + "-" + std::to_string(i);
        // Every fifth insert goes through a transaction, so both paths contend.
        const bool ok =
            i % 5 == 0
                ? store_
                      ->transaction([&](Store& tx) -> Result<void> {
                        RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {name}));
                        return {};
                      })
                      .has_value()
                : store_->query("INSERT INTO items (name) VALUES (?)", {name}).has_value();
        if (!ok)
          failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count(*store_), kThreads * kEach);
}

TEST_F(SqliteStoreTest, two_connections_to_one_file_write_concurrently) {
  auto second = open_store("", dir_.path());
  ASSERT_TRUE(second) << second.error().message;
  constexpr int kEach = 500;
  std::atomic<int> failures{0};
  std::latch start(2);  // both writers begin together, so their transactions overlap
  auto writer = [&](Store& store, const std::string& prefix) {
    start.arrive_and_wait();
    for (int i = 0; i < kEach; ++i) {
      const std::string name = prefix + std::to_string(i);
      auto r = store.transaction([&](Store& tx) -> Result<void> {
        RIS_TRY_VOID(tx.query("INSERT INTO items (name) VALUES (?)", {name}));
        RIS_TRY_VOID(tx.query("SELECT COUNT(*) FROM items"));
        return {};
      });
      if (!r) {
        ADD_FAILURE() << r.error().message;
        failures.fetch_add(1);
      }
    }
  };
  std::thread a(writer, std::ref(*store_), "a");
  std::thread b(writer, std::ref(**second), "b");
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count(*store_), 2 * kEach);
  EXPECT_EQ(count(**second), 2 * kEach);
  EXPECT_EQ(*instance_id(*store_), *instance_id(**second));
}

TEST_F(SqliteStoreTest, close_is_idempotent_and_later_use_fails_cleanly) {
  ASSERT_TRUE(store_->close());
  ASSERT_TRUE(store_->close());
  auto q = store_->query("SELECT 1");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, Errc::unavailable);
  EXPECT_FALSE(store_->ping());
  EXPECT_FALSE(store_->transaction([](Store&) -> Result<void> { return {}; }));
  // The checkpoint folded the WAL into the database file.
  const auto wal = dir_.path() / "ris.db-wal";
  EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0);
}

}  // namespace
}  // namespace ris::store
