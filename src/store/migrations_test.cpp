// Migrations: applied once, in order, one transaction each; a newer database is refused.
#include <gtest/gtest.h>

#include "migrations.hpp"
#include "ris/store/store.hpp"
#include "sqlite_store.hpp"
#include "test_support.hpp"

namespace ris::store {
namespace {

using testing::TempDir;

const EmbeddedFile kFirst{"0001_first.sql", "CREATE TABLE a (x INTEGER);"};
const EmbeddedFile kSecond{"0002_second.sql", "CREATE TABLE b (x); INSERT INTO b VALUES (1);"};
const EmbeddedFile kBroken{"0002_broken.sql",
                           "CREATE TABLE b (x); INSERT INTO nowhere VALUES (1);"};

bool has_table(Store& store, const std::string& name) {
  auto r =
      store.query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", {name});
  return r && r->rows.at(0).get<int64_t>(0) == 1;
}

TEST(Migrations, names_must_be_numbered_from_one_without_gaps) {
  const EmbeddedFile gap[] = {kFirst, {"0003_third.sql", ""}};
  const EmbeddedFile repeat[] = {kFirst, {"0001_again.sql", ""}};
  const EmbeddedFile unnamed[] = {{"first.sql", ""}};
  const EmbeddedFile not_sql[] = {{"0001_first.txt", ""}};
  EXPECT_FALSE(parse_migrations(gap));
  EXPECT_FALSE(parse_migrations(repeat));
  EXPECT_FALSE(parse_migrations(unnamed));
  EXPECT_FALSE(parse_migrations(not_sql));
  const EmbeddedFile unsorted[] = {kSecond, kFirst};
  auto ok = parse_migrations(unsorted);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)[0].name, "first");
  EXPECT_EQ((*ok)[1].version, 2);
}

TEST(Migrations, pending_files_are_applied_when_the_binary_knows_more) {
  TempDir dir;
  const auto path = dir.path() / "m.db";
  const EmbeddedFile one[] = {kFirst};
  const EmbeddedFile two[] = {kFirst, kSecond};
  {
    auto s = SqliteStore::open(path, one);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ((*s)->schema_version(), 1);
    EXPECT_FALSE(has_table(**s, "b"));
  }
  auto s = SqliteStore::open(path, two);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->schema_version(), 2);
  EXPECT_TRUE(has_table(**s, "b"));
  auto names = (*s)->query("SELECT name FROM schema_migrations ORDER BY version");
  ASSERT_EQ(names->rows.size(), 2u);
  EXPECT_EQ(names->rows[1].get<std::string>(0), "second");
}

TEST(Migrations, a_failing_file_is_rolled_back_and_named_in_the_error) {
  TempDir dir;
  const auto path = dir.path() / "m.db";
  const EmbeddedFile files[] = {kFirst, kBroken};
  auto s = SqliteStore::open(path, files);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("0002_broken.sql"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("no such table"), std::string::npos) << s.error().message;

  const EmbeddedFile one[] = {kFirst};
  auto reopened = SqliteStore::open(path, one);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->schema_version(), 1);
  EXPECT_TRUE(has_table(**reopened, "a"));
  EXPECT_FALSE(has_table(**reopened, "b"));
}

TEST(Migrations, a_database_from_a_newer_ris_is_refused) {
  TempDir dir;
  {
    auto s = open_store("", dir.path());
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE(
        (*s)->query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    {int64_t{9999}, "from_the_future", "2030-01-01T00:00:00.000Z"}));
  }
  auto s = open_store("", dir.path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::conflict);
  EXPECT_NE(s.error().message.find("schema version 9999"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("newer RIS"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace ris::store

namespace ris::store {
namespace {

// One schema, two dialects: every version exists for both engines, under the same name.
TEST(Migrations, both_engines_carry_the_same_versions_and_names) {
  auto sqlite = parse_migrations(sqlite_migration_files());
  auto postgres = parse_migrations(postgres_migration_files());
  ASSERT_TRUE(sqlite) << sqlite.error().message;
  ASSERT_TRUE(postgres) << postgres.error().message;
  ASSERT_EQ(sqlite->size(), postgres->size());
  for (size_t i = 0; i < sqlite->size(); ++i)
    EXPECT_EQ((*sqlite)[i].file, (*postgres)[i].file);
}

}  // namespace
}  // namespace ris::store
