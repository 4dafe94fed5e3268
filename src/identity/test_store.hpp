// Test support for src/identity: a fresh store in a temporary directory (SQLite, or a new
// PostgreSQL database on the PostgreSQL pass) and a master key to seal secrets with.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "ris/security/secret_box.hpp"
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
    master_key_ = security::generate_master_key();
    box_.emplace(box_of({master_key_}));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static security::SecretBox box_of(std::vector<std::string> keys) {
    auto box = security::SecretBox::from_keys(std::move(keys));
    if (!box)
      throw std::runtime_error(box.error().message);
    return std::move(*box);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::string master_key_;
  std::optional<security::SecretBox> box_;
};
}  // namespace ris::identity
