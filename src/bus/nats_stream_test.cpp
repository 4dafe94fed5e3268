// The Stream against a real nats-server with JetStream: the CTest fixture "nats" (shared; each
// test makes streams of its own names) and, for restarts and outages, a private server.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "nats_test_support.hpp"
#include "ris/bus/stream.hpp"
#include "ris/core/log.hpp"

namespace ris::bus {
namespace {

using namespace std::chrono_literals;
using testing::PrivateServer;
using testing::shared_url;
using testing::unique_prefix;
using testing::wait_until;

const bool g_logging = (log::init(log::Level::info), true);

std::unique_ptr<Streams> open(const std::string& url) {
  auto s = open_streams(url);
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

// Fetches until `n` messages came (or 20 s passed).
std::vector<StreamMessage> fetch_n(Consumer& c, size_t n) {
  std::vector<StreamMessage> out;
  wait_until([&] {
    auto got = c.fetch(static_cast<int>(n - out.size()), 500ms);
    EXPECT_TRUE(got) << (got ? "" : got.error().message);
    if (got)
      for (auto& m : *got)
        out.push_back(std::move(m));
    return !got || out.size() >= n;
  });
  return out;
}

class NatsStream : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = shared_url();
    ASSERT_FALSE(url_.empty()) << "RIS_TEST_NATS_URL_FILE is not set: run through ctest -L nats";
    p_ = unique_prefix();
    name_ = p_.substr(0, p_.size() - 1);  // "t123x4": a stream name of this test alone
    streams_ = open(url_);
    ASSERT_TRUE(streams_);
    StreamConfig c;
    c.name = name_;
    c.subjects = {p_ + "q.>"};
    c.max_age = 10min;
    auto r = streams_->ensure(c);
    ASSERT_TRUE(r) << r.error().message;
  }

  uint64_t publish(const std::string& subject, const std::string& data, std::string id = {}) {
    auto r = streams_->publish(p_ + subject, data, id);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : 0;
  }

  std::unique_ptr<Consumer> consumer(std::string durable, std::chrono::milliseconds ack_wait,
                                     int max_deliver = -1, std::string filter = {}) {
    ConsumerConfig c{name_, std::move(durable), filter.empty() ? "" : p_ + filter, ack_wait,
                     max_deliver};
    auto r = streams_->consumer(c);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? std::move(*r) : nullptr;
  }

  std::string url_, p_, name_;
  std::unique_ptr<Streams> streams_;
};

TEST_F(NatsStream, publish_returns_increasing_sequences_once_stored) {
  EXPECT_TRUE(streams_->connected());
  const uint64_t a = publish("q.a", "1"), b = publish("q.b", "2"), c = publish("q.a", "3");
  EXPECT_EQ(a, 1u);  // a fresh stream
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(c, 3u);
  auto again = streams_->ensure({name_, {p_ + "q.>"}, 10min});  // idempotent, keeps messages
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(publish("q.c", "4"), 4u);
}

TEST_F(NatsStream, a_message_id_is_stored_once) {
  const uint64_t first = publish("q.x", "once", "id-1");
  EXPECT_EQ(publish("q.x", "once", "id-1"), first);  // the retry of a lost acknowledgement
  EXPECT_EQ(publish("q.x", "other", "id-2"), first + 1);
  auto c = consumer("reader", 30s);
  ASSERT_TRUE(c);
  auto got = fetch_n(*c, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data, "once");
  EXPECT_EQ(got[1].data, "other");
  auto more = c->fetch(10, 300ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

TEST_F(NatsStream, a_consumer_gets_each_message_in_order_and_acked_ones_stay_done) {
  for (int i = 0; i < 5; ++i)
    publish(i % 2 ? "q.odd" : "q.even", std::to_string(i));
  auto c = consumer("worker", 1s);
  ASSERT_TRUE(c);
  auto got = fetch_n(*c, 5);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].data, std::to_string(i));
    EXPECT_EQ(got[i].subject, p_ + (i % 2 ? "q.odd" : "q.even"));
    EXPECT_EQ(got[i].sequence, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(got[i].deliveries, 1u);
    auto a = got[i].ack();
    EXPECT_TRUE(a) << a.error().message;
  }
  auto more = c->fetch(10, 2500ms);  // past ack_wait: nothing comes back
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

TEST_F(NatsStream, a_filtered_durable_shared_by_two_consumers_gives_each_message_to_one) {
  for (int i = 0; i < 6; ++i)
    publish(i < 4 ? "q.job" : "q.other", std::to_string(i));
  auto one = consumer("jobs", 30s, -1, "q.job");
  auto two = consumer("jobs", 30s, -1, "q.job");  // a second server's worker
  ASSERT_TRUE(one && two);
  auto a = fetch_n(*one, 2);
  auto b = fetch_n(*two, 2);
  std::set<std::string> seen;
  for (auto* list : {&a, &b})
    for (auto& m : *list) {
      EXPECT_EQ(m.subject, p_ + "q.job");
      EXPECT_TRUE(seen.insert(m.data).second) << m.data << " delivered twice";
      EXPECT_TRUE(m.ack());
    }
  EXPECT_EQ(seen, (std::set<std::string>{"0", "1", "2", "3"}));
}

TEST_F(NatsStream, an_unanswered_message_comes_back_after_ack_wait_as_delivery_two) {
  const uint64_t seq = publish("q.slow", "work");
  auto c = consumer("slow", 500ms);
  ASSERT_TRUE(c);
  auto first = fetch_n(*c, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].deliveries, 1u);
  auto second = fetch_n(*c, 1);  // not answered: redelivered once ack_wait passed
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].sequence, seq);
  EXPECT_EQ(second[0].data, "work");
  EXPECT_EQ(second[0].deliveries, 2u);
  EXPECT_TRUE(second[0].ack());
}

TEST_F(NatsStream, in_progress_keeps_a_message_from_coming_back) {
  publish("q.long", "long");
  auto c = consumer("long", 1s);
  ASSERT_TRUE(c);
  auto got = fetch_n(*c, 1);
  ASSERT_EQ(got.size(), 1u);
  for (int i = 0; i < 4; ++i) {  // 2 s of work, told every half second
    std::this_thread::sleep_for(500ms);
    auto r = got[0].in_progress();
    ASSERT_TRUE(r) << r.error().message;
  }
  EXPECT_TRUE(got[0].ack());
  auto more = c->fetch(1, 1500ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

TEST_F(NatsStream, nak_redelivers_after_the_delay) {
  publish("q.retry", "again");
  auto c = consumer("retry", 60s);  // only nak brings it back within the test
  ASSERT_TRUE(c);
  auto got = fetch_n(*c, 1);
  ASSERT_EQ(got.size(), 1u);
  auto n = got[0].nak(3s);
  ASSERT_TRUE(n) << n.error().message;
  auto early = c->fetch(1, 200ms);  // within the delay
  ASSERT_TRUE(early);
  EXPECT_TRUE(early->empty());
  auto later = fetch_n(*c, 1);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].data, "again");
  EXPECT_EQ(later[0].deliveries, 2u);
  ASSERT_TRUE(later[0].nak());  // no delay: at once
  auto third = fetch_n(*c, 1);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].deliveries, 3u);
  EXPECT_TRUE(third[0].ack());
}

TEST_F(NatsStream, term_stops_redelivery) {
  publish("q.bad", "poison");
  publish("q.bad", "fine");
  auto c = consumer("term", 500ms);
  ASSERT_TRUE(c);
  auto got = fetch_n(*c, 2);
  ASSERT_EQ(got.size(), 2u);
  auto t = got[0].term();
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(got[1].ack());
  auto more = c->fetch(1, 2000ms);  // four ack_waits
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

TEST_F(NatsStream, max_deliver_is_honoured_and_the_last_attempt_is_recognisable) {
  publish("q.dead", "dead letter");
  publish("q.dead", "next");
  auto c = consumer("dlq", 30s, 2);
  ASSERT_TRUE(c);
  auto first = fetch_n(*c, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(first[1].ack());
  ASSERT_TRUE(first[0].nak());
  auto second = fetch_n(*c, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].data, "dead letter");
  EXPECT_EQ(second[0].deliveries, 2u);  // == max_deliver: the place to dead-letter it
  ASSERT_TRUE(second[0].nak());
  auto more = c->fetch(1, 1500ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

// Messages can reach a consumer after the fetch that asked for them ended: nats-server 2.9
// leaves a no-wait request open when the only message left has used its last delivery, and
// what is published next goes to that request. cnats 3.4.1's fetch overflowed its array when
// such messages filled more than half a batch; ours takes them first, never more than asked.
TEST_F(NatsStream, messages_that_arrive_after_a_fetch_ended_come_with_the_next_ones_within_max) {
  publish("q.late", "spent");
  auto c = consumer("late", 30s, 1);
  ASSERT_TRUE(c);
  auto spent = fetch_n(*c, 1);
  ASSERT_EQ(spent.size(), 1u);
  ASSERT_TRUE(spent[0].nak());  // its last delivery: it never comes again
  auto none = c->fetch(8, 0ms);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
  for (int i = 0; i < 5; ++i)
    publish("q.late", "m" + std::to_string(i));
  std::vector<std::string> got;
  wait_until([&] {
    auto f = c->fetch(3, 0ms);  // fewer than came late: the rest wait for the next fetch
    EXPECT_TRUE(f) << (f ? "" : f.error().message);
    if (!f)
      return true;
    EXPECT_LE(f->size(), 3u);
    for (auto& m : *f) {
      got.push_back(m.data);
      EXPECT_TRUE(m.ack());
    }
    return got.size() >= 5;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
  auto more = c->fetch(8, 300ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

TEST_F(NatsStream, bad_configs_give_clear_errors) {
  auto bad_name = streams_->ensure({"a.b", {p_ + "z"}});
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code, Errc::invalid_argument);
  EXPECT_NE(bad_name.error().message.find("'a.b'"), std::string::npos) << bad_name.error().message;

  auto no_subjects = streams_->ensure({name_ + "x", {}});
  ASSERT_FALSE(no_subjects);
  EXPECT_EQ(no_subjects.error().code, Errc::invalid_argument);

  auto bad_subject = streams_->ensure({name_ + "x", {p_ + "a.>.b"}});
  ASSERT_FALSE(bad_subject);
  EXPECT_EQ(bad_subject.error().code, Errc::invalid_argument);

  StreamConfig replicated{name_ + "r", {p_ + "r.>"}};
  replicated.replicas = 3;  // the test server is not clustered
  auto r = streams_->ensure(replicated);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument) << r.error().message;
  EXPECT_NE(r.error().message.find("replicas"), std::string::npos) << r.error().message;

  auto overlap = streams_->ensure({name_ + "o", {p_ + "q.a"}});  // inside the first's q.>
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().code, Errc::conflict) << overlap.error().message;
  EXPECT_NE(overlap.error().message.find("overlap"), std::string::npos) << overlap.error().message;
  EXPECT_EQ(overlap.error().message.find("jsm.c"), std::string::npos) << overlap.error().message;

  StreamConfig memory{name_, {p_ + "q.>"}, 10min};
  memory.storage = StreamStorage::memory;  // an existing file stream cannot become one
  auto storage = streams_->ensure(memory);
  ASSERT_FALSE(storage);
  EXPECT_EQ(storage.error().code, Errc::conflict) << storage.error().message;
  EXPECT_NE(storage.error().message.find(name_), std::string::npos) << storage.error().message;

  auto missing = streams_->consumer({name_ + "missing", "d", "", 1s, -1});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found) << missing.error().message;

  auto bad_durable = streams_->consumer({name_, "a.b", "", 1s, -1});
  ASSERT_FALSE(bad_durable);
  EXPECT_EQ(bad_durable.error().code, Errc::invalid_argument);

  auto nobody = streams_->publish(p_ + "uncaptured", "x", {}, 2s);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, Errc::not_found) << nobody.error().message;
  EXPECT_NE(nobody.error().message.find("no stream captures"), std::string::npos)
      << nobody.error().message;

  auto wildcard = streams_->publish(p_ + "q.*", "x");
  ASSERT_FALSE(wildcard);
  EXPECT_EQ(wildcard.error().code, Errc::invalid_argument);

  auto no_url = open_streams("");
  ASSERT_FALSE(no_url);
  EXPECT_EQ(no_url.error().code, Errc::invalid_argument);
}

TEST(NatsStreamServer, messages_and_the_durable_survive_a_server_restart) {
  PrivateServer server;
  ASSERT_TRUE(server.run("start"));
  auto s = open(server.url());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->ensure({"KEEP", {"keep.>"}}));
  for (int i = 1; i <= 3; ++i) {
    auto r = s->publish("keep.it", std::to_string(i));
    ASSERT_TRUE(r) << r.error().message;
  }
  {
    auto c = s->consumer({"KEEP", "w", "", 30s, -1});
    ASSERT_TRUE(c) << c.error().message;
    auto got = fetch_n(**c, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, "1");
    ASSERT_TRUE(got[0].ack());
  }
  ASSERT_TRUE(server.run("kill"));
  ASSERT_TRUE(server.run("restart"));
  ASSERT_TRUE(wait_until([&] { return s->connected(); }));
  auto c = s->consumer({"KEEP", "w", "", 30s, -1});  // JetStream may still be recovering
  ASSERT_TRUE(wait_until([&] {
    if (!c)
      c = s->consumer({"KEEP", "w", "", 30s, -1});
    return bool(c);
  })) << c.error().message;
  auto got = fetch_n(**c, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data, "2");
  EXPECT_EQ(got[0].sequence, 2u);
  EXPECT_EQ(got[1].data, "3");
  for (auto& m : got)
    EXPECT_TRUE(m.ack());
  auto r = s->publish("keep.it", "4");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 4u);
}

TEST(NatsStreamServer, publish_and_fetch_while_nats_is_down_are_unavailable) {
  PrivateServer server;
  ASSERT_TRUE(server.run("start"));
  const std::string url = server.url();
  auto s = open(url);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->ensure({"DOWN", {"down.>"}}));
  auto c = s->consumer({"DOWN", "w", "down.x", 30s, -1});  // not down.y, published below
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(server.run("kill"));
  ASSERT_TRUE(wait_until([&] { return !s->connected(); }));
  auto r = s->publish("down.x", "lost?", "m-1", 1s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
  auto f = (*c)->fetch(1, 500ms);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::unavailable) << f.error().message;
  auto e = s->ensure({"DOWN2", {"down2.>"}});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::unavailable) << e.error().message;

  auto late = open(url);  // opened while NATS is down: connects later
  ASSERT_TRUE(late);
  auto lr = late->publish("down.y", "x", {}, 1s);
  ASSERT_FALSE(lr);
  EXPECT_EQ(lr.error().code, Errc::unavailable) << lr.error().message;

  ASSERT_TRUE(server.run("restart"));
  ASSERT_TRUE(wait_until([&] { return s->connected() && late->connected(); }));
  // The retry with the same id is stored at most once, whether or not the first one was.
  Result<uint64_t> retried = fail(Errc::unavailable, "not yet");
  ASSERT_TRUE(wait_until([&] { return bool(retried = s->publish("down.x", "lost?", "m-1", 1s)); }))
      << retried.error().message;
  auto got = fetch_n(**c, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "lost?");
  EXPECT_TRUE(got[0].ack());
  auto more = (*c)->fetch(1, 300ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->empty());
}

}  // namespace
}  // namespace ris::bus
