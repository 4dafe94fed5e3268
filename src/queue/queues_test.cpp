// Durable queues on a real store (both engines): idempotent publishing, fan-out between
// subscriptions and sharing within one, leases with ack/nack and redelivery after the deadline,
// a stale ack refused, dead letters after max_deliveries, replay from a seq, retention.
// Built twice: queue_tests keeps the messages in the store; queue_jetstream_tests
// (RIS_QUEUES_ON_JETSTREAM) in a real NATS JetStream, the CTest fixture "nats".
#include "ris/queue/queues.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "ris/bus/stream.hpp"

#include "identity/test_space.hpp"
#include "store/test_support.hpp"
#include "store/testing/test_database.hpp"

namespace ris::queue {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;

#ifdef RIS_QUEUES_ON_JETSTREAM
constexpr bool kOnJetStream = true;
#else
constexpr bool kOnJetStream = false;
#endif

// A connection to the test's NATS (the fixture writes its URL to a file), or none.
std::unique_ptr<bus::Streams> open_test_streams() {
  if (!kOnJetStream)
    return nullptr;
  const char* file = std::getenv("RIS_TEST_NATS_URL_FILE");
  std::string url;
  if (file != nullptr)
    std::getline(std::ifstream(file) >> std::ws, url);
  auto s = bus::open_streams(url);
  EXPECT_TRUE(s) << (s ? "" : s.error().message) << " (run through ctest: it starts NATS)";
  return s ? std::move(*s) : nullptr;
}

class QueuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store(store::testing::fresh_database_url(dir_.path()), dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    access_ = identity::testing::admin_space(*store_, "ops");
    streams_ = open_test_streams();
    ASSERT_EQ(streams_ != nullptr, kOnJetStream);
    queues_ = std::make_unique<Queues>(*store_, streams_.get());
  }
  void TearDown() override {
    // JetStream outlives the test: remove what it made there.
    if (queues_ && access_.space_id.size() > 0)
      if (auto all = queues_->topics(access_))
        for (const auto& t : *all)
          (void)queues_->remove_topic(access_, t.name);
  }
  Topic topic(json::object body) {
    auto t = queues_->create_topic(access_, body);
    EXPECT_TRUE(t) << (t ? "" : t.error().message);
    return t ? *t : Topic{};
  }
  void publish(const std::string& topic, int n) {
    for (int i = 1; i <= n; ++i)
      ASSERT_TRUE(queues_->publish(access_, topic, "m" + std::to_string(i), "text/plain", {}));
  }
  std::vector<Message> pull(const std::string& sub, int max, const std::string& t = "jobs") {
    auto m = queues_->pull(access_, t, sub, max);
    EXPECT_TRUE(m) << (m ? "" : m.error().message);
    return m ? *m : std::vector<Message>{};
  }
  // A redelivery becomes visible when the backend's timer runs: wait (bounded) for one.
  std::vector<Message> pull_when_there(const std::string& sub, int max,
                                       const std::string& t = "jobs") {
    const auto end = std::chrono::steady_clock::now() + 5s;
    auto m = pull(sub, max, t);
    while (m.empty() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(20ms);
      m = pull(sub, max, t);
    }
    return m;
  }

  // Pulls until `n` messages came (or 5 s passed): JetStream may answer a pull in parts.
  std::vector<Message> pull_n(const std::string& sub, size_t n, const std::string& t = "jobs") {
    std::vector<Message> all;
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (all.size() < n && std::chrono::steady_clock::now() < end)
      for (auto& m : pull(sub, static_cast<int>(n - all.size()), t))
        all.push_back(std::move(m));
    return all;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<bus::Streams> streams_;
  identity::SpaceAccess access_;
  std::unique_ptr<Queues> queues_;
};

TEST_F(QueuesTest, a_publish_with_an_idempotency_key_is_stored_once) {
  topic({{"name", "jobs"}});
  auto first = queues_->publish(access_, "jobs", "a", "text/plain", "k-1");
  auto again = queues_->publish(access_, "jobs", "a", "text/plain", "k-1");
  auto other = queues_->publish(access_, "jobs", "b", "text/plain", "k-2");
  ASSERT_TRUE(first && again && other);
  EXPECT_EQ(first->seq, 1);
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(again->seq, 1);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(other->seq, 2);
}

TEST_F(QueuesTest, each_subscription_gets_every_message_and_its_consumers_share_them) {
  topic({{"name", "jobs"}});
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "billing", json::value()));
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "audit", json::value()));
  publish("jobs", 6);
  // Two consumers of "billing" pulling in turn: each message to one of them, none twice.
  std::set<int64_t> billing;
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (billing.size() < 6 && std::chrono::steady_clock::now() < end)
    for (const auto& m : pull("billing", 2))
      EXPECT_TRUE(billing.insert(m.seq).second) << "seq " << m.seq << " handed out twice";
  EXPECT_EQ(billing.size(), 6u);
  // "audit" gets all six too, in order.
  auto audit = pull_when_there("audit", 10);
  ASSERT_EQ(audit.size(), 6u);
  for (size_t i = 0; i < audit.size(); ++i) {
    EXPECT_EQ(audit[i].seq, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(audit[i].body, "m" + std::to_string(i + 1));
    EXPECT_EQ(audit[i].deliveries, 1);
  }
}

TEST_F(QueuesTest, unacked_messages_come_back_after_the_deadline_and_stale_acks_are_refused) {
  topic({{"name", "jobs"}, {"ack_deadline_seconds", 1}});
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "workers", json::value()));
  publish("jobs", 2);
  auto first = pull_n("workers", 2);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_TRUE(queues_->ack(access_, "jobs", "workers", first[0].ack));
  EXPECT_TRUE(pull("workers", 10).empty()) << "still leased";
  std::this_thread::sleep_for(1100ms);
  auto again = pull_when_there("workers", 10);
  ASSERT_EQ(again.size(), 1u);  // the unacked one
  EXPECT_EQ(again[0].seq, 2);
  EXPECT_EQ(again[0].deliveries, 2);
  // The first consumer's ack of its (expired) delivery is refused: another one holds it now.
  auto stale = queues_->ack(access_, "jobs", "workers", first[1].ack);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::conflict);
  EXPECT_TRUE(queues_->ack(access_, "jobs", "workers", again[0].ack));
  // A nack hands it out again at once.
  publish("jobs", 1);
  auto third = pull_n("workers", 1);
  ASSERT_EQ(third.size(), 1u);
  ASSERT_TRUE(queues_->nack(access_, "jobs", "workers", third[0].ack));
  auto redelivered = pull_when_there("workers", 10);
  ASSERT_EQ(redelivered.size(), 1u);
  EXPECT_EQ(redelivered[0].deliveries, 2);
  EXPECT_EQ(queues_->ack(access_, "jobs", "workers", "nonsense").error().code,
            Errc::invalid_argument);
}

TEST_F(QueuesTest, after_max_deliveries_a_message_goes_to_the_dead_letter_topic) {
  topic({{"name", "dead"}});
  topic({{"name", "jobs"}, {"max_deliveries", 2}, {"dead_letter_topic", "dead"}});
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "workers", json::value()));
  ASSERT_TRUE(queues_->subscribe(access_, "dead", "inspect", json::value()));
  publish("jobs", 1);
  for (int i = 0; i < 2; ++i) {
    auto m = pull_when_there("workers", 1);
    ASSERT_EQ(m.size(), 1u);
    ASSERT_TRUE(queues_->nack(access_, "jobs", "workers", m[0].ack));
  }
  // The third delivery (made when the redelivery is due) goes to the dead letters instead.
  std::vector<Message> dead;
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (dead.empty() && std::chrono::steady_clock::now() < end) {
    EXPECT_TRUE(pull("workers", 1).empty()) << "delivered twice: no more";
    dead = pull("inspect", 10, "dead");
  }
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].body, "m1");
}

TEST_F(QueuesTest, a_subscription_can_start_at_the_beginning_or_a_seq) {
  topic({{"name", "jobs"}});
  publish("jobs", 5);
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "late", json::value("new")));
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "replay", json::value("all")));
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "from3", json::object{{"seq", 3}}));
  EXPECT_TRUE(pull("late", 10).empty());
  EXPECT_EQ(pull_n("replay", 5).size(), 5u);
  auto from3 = pull_n("from3", 3);
  ASSERT_EQ(from3.size(), 3u);
  EXPECT_EQ(from3[0].seq, 3);
}

TEST_F(QueuesTest, retention_drops_the_oldest_beyond_the_count) {
  topic({{"name", "jobs"}, {"retention_messages", 3}});
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "replay", json::value()));
  publish("jobs", 5);
  const cluster::Fence held = [](store::Store&) -> Result<void> { return {}; };
  auto dropped = queues_->trim(std::chrono::system_clock::now(), held);
  ASSERT_TRUE(dropped);
  // The store drops them here; JetStream did as they were published (its stream's limits).
  EXPECT_EQ(*dropped, kOnJetStream ? 0u : 2u);
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "all", json::value("all")));
  auto kept = pull_n("all", 3);
  EXPECT_TRUE(pull("all", 10).empty()) << "only the newest three are kept";
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].seq, 3);
}

TEST_F(QueuesTest, a_message_pulled_through_one_server_is_acknowledged_through_another) {
  auto other_streams = open_test_streams();  // a server's own NATS connection
  Queues other(*store_, other_streams.get());
  topic({{"name", "jobs"}, {"ack_deadline_seconds", 2}});
  ASSERT_TRUE(queues_->subscribe(access_, "jobs", "workers", json::value()));
  ASSERT_TRUE(other.publish(access_, "jobs", "hello", "text/plain", {}));
  auto m = pull_n("workers", 1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].body, "hello");
  EXPECT_EQ(m[0].content_type, "text/plain");
  ASSERT_TRUE(other.ack(access_, "jobs", "workers", m[0].ack));
  // Acknowledged: not delivered again after the deadline.
  std::this_thread::sleep_for(2200ms);
  EXPECT_TRUE(other.pull(access_, "jobs", "workers", 10)->empty());
  auto subs = other.subscriptions(access_, "jobs");
  ASSERT_TRUE(subs);
  ASSERT_EQ(subs->size(), 1u);
  EXPECT_EQ((*subs)[0].next_seq, 2);
}

TEST_F(QueuesTest, bad_topics_and_messages_are_refused_with_the_reason) {
  auto refuse = [&](json::object body) {
    auto t = queues_->create_topic(access_, body);
    return t ? std::string("accepted") : t.error().message;
  };
  EXPECT_EQ(refuse({{"name", "bad name"}}),
            "a topic name has 1 to 128 letters, digits, '-', '_' or '.'");
  EXPECT_EQ(refuse({{"name", "t"}, {"max_deliveries", 0}}),
            "\"max_deliveries\" must be between 1 and 100");
  EXPECT_EQ(refuse({{"name", "t"}, {"dead_letter_topic", "nowhere"}}),
            "no topic \"nowhere\" for dead letters: create it first");
  EXPECT_EQ(refuse({{"name", "t"}, {"colour", "red"}}), "unknown field \"colour\"");
  topic({{"name", "jobs"}});
  EXPECT_EQ(queues_->create_topic(access_, {{"name", "jobs"}}).error().code, Errc::conflict);
  EXPECT_EQ(queues_->publish(access_, "jobs", std::string(kMaxMessageBytes + 1, 'x'), "", {})
                .error()
                .code,
            Errc::too_large);
  EXPECT_EQ(queues_->publish(access_, "nope", "x", "", {}).error().code, Errc::not_found);
  EXPECT_EQ(queues_->pull(access_, "jobs", "nobody", 1).error().code, Errc::not_found);
}

}  // namespace
}  // namespace ris::queue
