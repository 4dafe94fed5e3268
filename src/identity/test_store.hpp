// Test support for src/identity: a fresh SQLite store in a temporary directory.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ris/store/store.hpp"
#include "store/testing/test_database.hpp"

namespace ris::identity {
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ris-identity-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::open_store(store::testing::fresh_database_url(dir_), dir_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};
}  // namespace ris::identity
