// /events/v1 subscriptions to the key-value store and to queues, against a real risd (both
// engines): a watch gets the change log after its revision and then live changes, each once and
// in order, and resumes after a reconnect with no gap; a queue consumer gets at most
// max_in_flight unanswered messages and more as it acknowledges over the socket.
#include "fleet_support.hpp"

namespace ris::test {
namespace {

using namespace std::chrono_literals;

class EventsFeeds : public FleetFixture {
 protected:
  std::string space(const std::string& rest) const { return "/api/v1/spaces/" + space_ + rest; }
  HttpResult put(const std::string& key, const std::string& value) {
    return https(port_, ca_file_, "PUT", space("/kv?key=" + key), value,
                 {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + token_}});
  }
  HttpResult publish(const std::string& body) {
    return https(port_, ca_file_, "POST", space("/topics/jobs/messages"), body,
                 {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + token_}});
  }
  // A signed-in socket.
  std::unique_ptr<WsClient> socket() {
    auto ws = std::make_unique<WsClient>(port_, ca_file_, "/events/v1");
    EXPECT_TRUE(ws->receive());  // hello
    ws->send(json::serialize(json::object{{"type", "auth"}, {"token", token_}, {"id", "a"}}));
    EXPECT_NE(ws->receive().value_or("").find("authenticated"), std::string::npos);
    return ws;
  }
  // The next frame whose type is not one of `skip`.
  static json::object next(WsClient& ws, std::initializer_list<std::string_view> skip = {}) {
    while (auto frame = ws.receive()) {
      auto o = json::parse(*frame).as_object();
      if (std::find(skip.begin(), skip.end(), o.at("type").as_string()) == skip.end())
        return o;
    }
    return {{"type", "closed"}};
  }
};

TEST_F(EventsFeeds, a_kv_watch_gets_the_log_then_live_changes_and_resumes_without_a_gap) {
  ASSERT_EQ(put("config/a", "1").status, 200);
  ASSERT_EQ(put("other/x", "ignored").status, 200);
  ASSERT_EQ(put("config/b", "2").status, 200);
  auto ws = socket();
  ws->send(json::serialize(json::object{{"type", "subscribe"},
                                        {"topic", "kv"},
                                        {"space", space_},
                                        {"prefix", "config/"},
                                        {"after_revision", 0},
                                        {"id", "w"}}));
  std::vector<json::object> changes;
  std::string subscribed;
  for (int i = 0; i < 3; ++i) {
    auto f = next(*ws, {"kv_progress"});
    if (f.at("type") == "subscribed")
      subscribed = "yes";
    else
      changes.push_back(f);
  }
  EXPECT_EQ(subscribed, "yes");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].at("key"), "config/a");
  EXPECT_EQ(changes[0].at("revision"), 1);
  EXPECT_EQ(changes[1].at("key"), "config/b");
  EXPECT_EQ(changes[1].at("value"), "2");
  EXPECT_EQ(changes[1].at("id"), "w");
  // Live: written after the subscription.
  ASSERT_EQ(put("config/c", "3").status, 200);
  auto live = next(*ws, {"kv_progress"});
  EXPECT_EQ(live.at("type"), "kv_change");
  EXPECT_EQ(live.at("key"), "config/c");
  const int64_t last = live.at("revision").as_int64();
  // The watcher goes away; meanwhile two keys change; it comes back after the last it saw.
  ws.reset();
  ASSERT_EQ(put("config/d", "4").status, 200);
  ASSERT_EQ(put("config/a", "5").status, 200);
  ws = socket();
  ws->send(json::serialize(json::object{{"type", "subscribe"},
                                        {"topic", "kv"},
                                        {"space", space_},
                                        {"prefix", "config/"},
                                        {"after_revision", last},
                                        {"id", "w2"}}));
  EXPECT_EQ(next(*ws).at("type"), "subscribed");
  auto d = next(*ws, {"kv_progress"});
  auto a = next(*ws, {"kv_progress"});
  EXPECT_EQ(d.at("key"), "config/d");
  EXPECT_EQ(d.at("revision").as_int64(), last + 1) << "nothing missed, nothing repeated";
  EXPECT_EQ(a.at("key"), "config/a");
  EXPECT_EQ(a.at("value"), "5");
  // A watch of what the caller may not read, or from a bad revision, is refused in a frame.
  ws->send(R"({"type":"subscribe","topic":"kv","space":"nope","id":"x"})");
  EXPECT_EQ(next(*ws, {"kv_progress", "kv_change"}).at("type"), "error");
  ws->send(R"({"type":"subscribe","topic":"kv","after_revision":-3,"id":"y"})");
  EXPECT_EQ(next(*ws, {"kv_progress", "kv_change"}).at("code"), "bad_message");
}

TEST_F(EventsFeeds, a_queue_consumer_gets_at_most_max_in_flight_and_more_as_it_acks) {
  ASSERT_EQ(call("POST", space("/topics"), token_, {{"name", "jobs"}}).status, 201);
  ASSERT_EQ(call("POST", space("/topics/jobs/subscriptions"), token_, {{"name", "workers"}}).status,
            201);
  for (const char* m : {"one", "two", "three"})
    ASSERT_EQ(publish(m).status, 201);
  auto ws = socket();
  ws->send(json::serialize(json::object{{"type", "subscribe"},
                                        {"topic", "queue"},
                                        {"space", space_},
                                        {"queue", "jobs"},
                                        {"subscription", "workers"},
                                        {"max_in_flight", 2},
                                        {"id", "c"}}));
  std::vector<json::object> got;
  while (got.size() < 2) {
    auto f = next(*ws, {"subscribed"});
    ASSERT_EQ(f.at("type"), "message") << json::serialize(f);
    got.push_back(f);
  }
  EXPECT_EQ(got[0].at("body"), "one");
  EXPECT_EQ(got[1].at("body"), "two");
  // The third waits for room: an ack over the socket makes it.
  ws->send(json::serialize(json::object{{"type", "ack"}, {"id", "c"}, {"ack", got[0].at("ack")}}));
  // Two frames, in either order: the ack's answer and the message it made room for.
  auto two_frames = [&](std::string_view answer) {
    json::object message;
    for (int i = 0; i < 2; ++i) {
      auto f = next(*ws);
      if (f.at("type") == "message")
        message = f;
      else
        EXPECT_EQ(f.at("type").as_string(), answer) << json::serialize(f);
    }
    return message;
  };
  auto third = two_frames("acked");
  EXPECT_EQ(third.at("body"), "three");
  // A message published now waits too (two in flight).
  ASSERT_EQ(publish("four").status, 201);
  // A nack gives "two" back: it comes again (redeliveries first), "four" still waits.
  ws->send(json::serialize(json::object{{"type", "nack"}, {"id", "c"}, {"ack", got[1].at("ack")}}));
  auto again = two_frames("nacked");
  EXPECT_EQ(again.at("body"), "two");
  EXPECT_EQ(again.at("deliveries"), 2);
  ws->send(json::serialize(json::object{{"type", "ack"}, {"id", "c"}, {"ack", third.at("ack")}}));
  EXPECT_EQ(two_frames("acked").at("body"), "four");
  // Answers to what is not a subscription of this socket, and to a stale token, are errors.
  ws->send(R"({"type":"ack","id":"nobody","ack":"1.1"})");
  EXPECT_EQ(next(*ws).at("code"), "not_found");
  ws->send(json::serialize(json::object{{"type", "ack"}, {"id", "c"}, {"ack", got[0].at("ack")}}));
  EXPECT_EQ(next(*ws).at("code"), "conflict") << "acked already";
  ws->send(json::serialize(json::object{{"type", "subscribe"},
                                        {"topic", "queue"},
                                        {"space", space_},
                                        {"queue", "jobs"},
                                        {"subscription", "nobody"},
                                        {"id", "d"}}));
  EXPECT_EQ(next(*ws).at("code"), "not_found");
}

}  // namespace
}  // namespace ris::test
