#include "ris/agent/state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>

namespace ris::agent {
namespace {
namespace fs = std::filesystem;

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ris-agent-state-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(StateTest, executed_log_survives_a_restart_and_knows_unfinished_runs) {
  {
    std::unique_ptr<ExecutedLog> log(*ExecutedLog::open(dir_));
    EXPECT_TRUE(*log->start("a"));
    EXPECT_FALSE(*log->start("a")) << "a run id starts once";
    EXPECT_TRUE(*log->start("b"));
    ASSERT_TRUE(log->finish("a"));
  }
  std::unique_ptr<ExecutedLog> again(*ExecutedLog::open(dir_));
  EXPECT_TRUE(again->seen("a"));
  EXPECT_FALSE(*again->start("a"));
  EXPECT_EQ(again->unfinished(), std::vector<std::string>{"b"});
}

TEST_F(StateTest, outbox_keeps_messages_until_acknowledged_and_never_reuses_a_seq) {
  int64_t last = 0;
  {
    std::unique_ptr<Outbox> box(*Outbox::open(dir_));
    auto a = *box->add({{"message_type", "x"}}, true);
    auto b = *box->add({{"message_type", "y"}}, true);
    EXPECT_EQ(b.first, a.first + 1);
    box->acknowledge(a.first);
    EXPECT_EQ(box->pending().size(), 1u);
    box->acknowledge(b.first);
    last = b.first;
  }
  std::unique_ptr<Outbox> again(*Outbox::open(dir_));
  EXPECT_EQ(again->size(), 0u);
  EXPECT_GT(again->add({{"message_type", "z"}}, true)->first, last);
}
}  // namespace
}  // namespace ris::agent
