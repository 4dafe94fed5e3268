// The gateway's message table: several handlers per type, none replacing another, and the
// acknowledgement only once every handler succeeded and their writes are committed.
#include "message_handlers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "listeners.hpp"
#include "ris/store/group_commit.hpp"
#include "store/test_support.hpp"
#include "store/testing/test_database.hpp"

namespace ris::fleet {
namespace {
using namespace std::chrono_literals;

// A WebSocket that keeps what is sent on it.
class RecordingConnection : public net::WsConnection,
                            public std::enable_shared_from_this<RecordingConnection> {
 public:
  bool send(std::shared_ptr<const std::string> text) override {
    std::lock_guard lock(mu_);
    sent_.push_back(*text);
    cv_.notify_all();
    return true;
  }
  void close(uint16_t, std::string) override {}
  const std::string& remote_address() const override { return remote_; }
  std::weak_ptr<net::WsConnection> weak() override { return shared_from_this(); }

  // The frames sent so far, waiting up to `timeout` for at least `n`.
  std::vector<std::string> sent(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return sent_.size() >= n; });
    return sent_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> sent_;
  std::string remote_ = "127.0.0.1";
};

std::string message(const std::string& type, int64_t seq) {
  Envelope e;
  e.message_type = type;
  e.seq = seq;
  return serialize(e);
}

class FleetMessages : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store(store::testing::fresh_database_url(dir_.path()), dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    commits_ = std::make_unique<store::GroupCommit>(*store_, pool_);
    handlers_ = std::make_unique<MessageHandlers>(*commits_);
    session_ = std::make_shared<AgentSession>(pool_, *conn_, "agent-1");
  }
  void TearDown() override { pool_.stop(); }

  // Runs the dispatch as the session's job, as the gateway does.
  void dispatch(const std::string& text) {
    session_->enqueue([this, text] { handlers_->dispatch(*session_, text); });
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  WorkerPool pool_{2};
  std::unique_ptr<store::GroupCommit> commits_;
  std::unique_ptr<MessageHandlers> handlers_;
  std::shared_ptr<RecordingConnection> conn_ = std::make_shared<RecordingConnection>();
  std::shared_ptr<AgentSession> session_;
};

TEST_F(FleetMessages, every_handler_of_a_type_runs_and_the_message_is_acknowledged_once) {
  std::atomic<int> first{0}, second{0}, third{0}, other{0};
  handlers_->add("service_status", [&](InboundMessage&) -> Result<void> {
    ++first;
    return {};
  });
  handlers_->add("service_status", [&](InboundMessage&) -> Result<void> {
    ++second;
    return {};
  });
  handlers_->add("service_status", [&](InboundMessage& m) -> Result<void> {
    EXPECT_EQ(m.session.agent_id(), "agent-1");
    ++third;
    return {};
  });
  handlers_->add("heartbeat", [&](InboundMessage&) -> Result<void> {
    ++other;
    return {};
  });
  dispatch(message("service_status", 7));
  auto sent = conn_->sent(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].find("\"up_to\":7"), std::string::npos) << sent[0];
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(third, 1);
  EXPECT_EQ(other, 0);
}

TEST_F(FleetMessages, a_failing_handler_leaves_the_message_unacknowledged) {
  std::atomic<int> after_failure{0};
  handlers_->add("task_output", [](InboundMessage&) -> Result<void> {
    return fail(Errc::unavailable, "the database is away");
  });
  handlers_->add("task_output", [&](InboundMessage&) -> Result<void> {
    ++after_failure;
    return {};
  });
  dispatch(message("task_output", 3));
  dispatch(message("nobody_listens", 4));  // unknown types are acknowledged
  auto sent = conn_->sent(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].find("\"up_to\":4"), std::string::npos) << sent[0];
  EXPECT_EQ(after_failure, 1) << "the other handlers still see the message";
}

TEST_F(FleetMessages, writes_are_committed_before_the_acknowledgement_and_in_order) {
  std::vector<std::string> order;
  std::mutex mu;
  auto note = [&](std::string what) {
    std::lock_guard lock(mu);
    order.push_back(std::move(what));
  };
  handlers_->add("task_result", [&](InboundMessage& m) -> Result<void> {
    m.write_then(
        [&, seq = m.envelope.seq](store::Store&) -> Result<void> {
          note("write " + std::to_string(seq));
          return {};
        },
        [&, seq = m.envelope.seq] { note("after " + std::to_string(seq)); });
    return {};
  });
  handlers_->add("task_result", [&](InboundMessage& m) -> Result<void> {
    note("second handler " + std::to_string(m.envelope.seq));
    return {};
  });
  dispatch(message("task_result", 1));
  dispatch(message("task_result", 2));
  auto sent = conn_->sent(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0].find("\"up_to\":1"), std::string::npos);
  EXPECT_NE(sent[1].find("\"up_to\":2"), std::string::npos);
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<std::string>{"second handler 1", "write 1", "after 1",
                                             "second handler 2", "write 2", "after 2"}));
}

TEST(FleetListeners, a_third_listener_replaces_none) {
  Listeners<const std::string&> connected;
  std::vector<std::string> heard;
  for (int i = 0; i < 3; ++i)
    connected.add([&, i](const std::string& agent) { heard.push_back(agent + std::to_string(i)); });
  connected.notify("a");
  EXPECT_EQ(heard, (std::vector<std::string>{"a0", "a1", "a2"}));
}

}  // namespace
}  // namespace ris::fleet
