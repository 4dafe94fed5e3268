#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "ris/identity/audit.hpp"
#include "store/testing/test_database.hpp"

namespace ris::identity {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ris-audit-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::open_store(store::testing::fresh_database_url(dir_), dir_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    log_ = std::make_unique<AuditLog>(*store_);
  }
  void TearDown() override {
    log_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  AuditEntry entry(std::string action, std::string space = "s1", std::string actor = "alice") {
    AuditEntry e;
    e.actor = std::move(actor);
    e.source = "127.0.0.1";
    e.space_id = std::move(space);
    e.action = std::move(action);
    e.target = "t";
    return e;
  }
  void append_n(int n) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(log_->append(entry("thing.do")));
  }
  void sql(const std::string& statement) { ASSERT_TRUE(store_->query(statement)); }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, appends_a_chain_that_verifies) {
  auto first = log_->append(entry("auth.login"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, std::string(64, '0'));
  auto second = log_->append(entry("space.create"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->prev_hash, first->hash);
  auto v = log_->verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->entries_checked, 2);
}

TEST_F(AuditLogTest, concurrent_appends_form_one_chain_without_gaps) {
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        if (!log_->append(entry("thing.do")))
          ++failures;
    });
  for (auto& w : writers)
    w.join();
  EXPECT_EQ(failures.load(), 0);
  auto v = log_->verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->entries_checked, 100);
}

TEST_F(AuditLogTest, verify_while_entries_are_appended_is_no_false_alarm) {
  append_n(5);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i)
      (void)log_->append(entry("thing.do"));
    done = true;
  });
  int verified = 0;
  while (!done.load()) {
    auto v = log_->verify();
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->ok) << v->problem;
    ++verified;
  }
  writer.join();
  EXPECT_GT(verified, 0);
}

TEST_F(AuditLogTest, an_empty_log_verifies) {
  auto v = log_->verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->entries_checked, 0);
}

TEST_F(AuditLogTest, detects_an_altered_entry) {
  append_n(5);
  sql("UPDATE audit_entries SET outcome = 'failure' WHERE seq = 3");
  auto v = log_->verify();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 3);
  EXPECT_NE(v->problem.find("altered"), std::string::npos) << v->problem;
}

TEST_F(AuditLogTest, detects_an_altered_entry_whose_hash_was_recomputed_by_the_forger) {
  append_n(4);
  // Changing entry 2 and its hash still breaks entry 3's link to it.
  sql("UPDATE audit_entries SET actor = 'mallory', hash = 'f00' WHERE seq = 2");
  auto v = log_->verify();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 2);
}

TEST_F(AuditLogTest, detects_a_removed_entry) {
  append_n(5);
  sql("DELETE FROM audit_entries WHERE seq = 2");
  auto v = log_->verify();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 3);
  EXPECT_NE(v->problem.find("missing"), std::string::npos) << v->problem;
}

TEST_F(AuditLogTest, detects_removal_of_the_newest_entries) {
  append_n(5);
  sql("DELETE FROM audit_entries WHERE seq >= 4");
  auto v = log_->verify();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->entries_checked, 3);
}

TEST_F(AuditLogTest, lists_newest_first_with_filters_and_paging) {
  ASSERT_TRUE(log_->append(entry("auth.login", "", "alice")));
  ASSERT_TRUE(log_->append(entry("space.create", "s1", "alice")));
  ASSERT_TRUE(log_->append(entry("space.rename", "s1", "bob")));
  ASSERT_TRUE(log_->append(entry("space.create", "s2", "bob")));
  AuditFilter f;
  f.space_id = "s1";
  auto s1 = log_->list(f);
  ASSERT_TRUE(s1);
  ASSERT_EQ(s1->size(), 2u);
  EXPECT_EQ((*s1)[0].action, "space.rename");
  AuditFilter by_action;
  by_action.action_prefix = "space.";
  by_action.limit = 2;
  auto page1 = log_->list(by_action);
  ASSERT_EQ(page1->size(), 2u);
  by_action.before_seq = page1->back().seq;
  auto page2 = log_->list(by_action);
  ASSERT_EQ(page2->size(), 1u);
  EXPECT_EQ((*page2)[0].seq, 2);
  AuditFilter bad;
  bad.limit = 0;
  EXPECT_FALSE(log_->list(bad));
}

TEST_F(AuditLogTest, secrets_never_reach_the_log) {
  auto e = entry("auth.token_create");
  e.details = {
      {"name", "ci"},
      {"password", "hunter2"},
      {"nested", {{"refresh_token", "abc"}, {"list", boost::json::array{{{"API_KEY", "k"}}}}}}};
  ASSERT_TRUE(log_->append(e));
  auto rows = store_->query("SELECT details FROM audit_entries");
  ASSERT_TRUE(rows);
  const auto details = rows->rows[0].get<std::string>(0);
  EXPECT_EQ(details.find("hunter2"), std::string::npos) << details;
  EXPECT_EQ(details.find("abc"), std::string::npos) << details;
  EXPECT_EQ(details.find("\"k\""), std::string::npos) << details;
  EXPECT_NE(details.find("\"ci\""), std::string::npos) << details;
}
}  // namespace
}  // namespace ris::identity
