// open_store: RIS_DATABASE_URL chooses the backend and the file.
#include <gtest/gtest.h>

#include "ris/store/store.hpp"
#include "test_support.hpp"

namespace ris::store {
namespace {

using testing::TempDir;

TEST(OpenStore, empty_url_and_bare_scheme_use_ris_db_in_the_data_directory) {
  for (const char* url : {"", "sqlite:"}) {
    TempDir dir;
    auto s = open_store(url, dir.path());
    ASSERT_TRUE(s) << url << ": " << s.error().message;
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "ris.db")) << url;
  }
}

TEST(OpenStore, sqlite_paths_are_absolute_or_relative_to_the_data_directory) {
  TempDir dir;
  auto relative = open_store("sqlite:relative.db", dir.path());
  ASSERT_TRUE(relative) << relative.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "relative.db"));

  TempDir other;
  const auto absolute_path = other.path() / "absolute.db";
  auto absolute = open_store("sqlite:" + absolute_path.string(), dir.path());
  ASSERT_TRUE(absolute) << absolute.error().message;
  EXPECT_TRUE(std::filesystem::exists(absolute_path));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "absolute.db"));
}

TEST(OpenStore, a_missing_directory_is_reported_with_the_path) {
  TempDir dir;
  auto s = open_store("sqlite:no/such/dir/x.db", dir.path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::unavailable);
  EXPECT_NE(s.error().message.find("no/such/dir/x.db"), std::string::npos) << s.error().message;
}

TEST(OpenStore, a_file_that_is_not_a_database_is_refused) {
  TempDir dir;
  {
    std::FILE* f = std::fopen((dir.path() / "ris.db").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an SQLite database, just some text long enough to matter......", f);
    std::fclose(f);
  }
  auto s = open_store("", dir.path());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not a database"), std::string::npos) << s.error().message;
}

TEST(OpenStore, an_unreachable_postgres_is_unavailable_without_echoing_secrets) {
  TempDir dir;
  for (const char* url : {"postgres://ris:s3cret@127.0.0.1:1/ris?connect_timeout=2",
                          "postgresql://ris:s3cret@127.0.0.1:1/ris?pool_size=2"}) {
    auto s = open_store(url, dir.path());
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().code, Errc::unavailable);
    EXPECT_NE(s.error().message.find("PostgreSQL"), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.find("s3cret"), std::string::npos) << s.error().message;
  }
}

TEST(OpenStore, a_bad_pool_size_is_invalid) {
  TempDir dir;
  auto s = open_store("postgres://ris@127.0.0.1:1/ris?pool_size=0", dir.path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
  EXPECT_NE(s.error().message.find("pool_size"), std::string::npos) << s.error().message;
}

TEST(OpenStore, anything_else_is_invalid_and_names_the_setting) {
  TempDir dir;
  for (const char* url : {"mysql://root:s3cret@db/ris", "ris.db", "SQLITE:x.db"}) {
    auto s = open_store(url, dir.path());
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().code, Errc::invalid_argument) << url;
    EXPECT_NE(s.error().message.find("RIS_DATABASE_URL"), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.find("s3cret"), std::string::npos) << s.error().message;
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace ris::store
