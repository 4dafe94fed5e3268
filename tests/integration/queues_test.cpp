// Durable queues against a real risd (both engines): a topic, idempotent publishing, a
// subscription's consumers pulling and acking over REST, a stale ack refused as problem+json.
#include "fleet_support.hpp"

namespace ris::test {
namespace {

using namespace std::chrono_literals;

class QueuesApi : public FleetFixture {
 protected:
  std::string topics(const std::string& rest = "") const {
    return "/api/v1/spaces/" + space_ + "/topics" + rest;
  }
  HttpResult publish(const std::string& body, const std::string& key = "") {
    std::map<std::string, std::string> h{{"Content-Type", "text/plain"},
                                         {"Authorization", "Bearer " + token_}};
    if (!key.empty())
      h["Idempotency-Key"] = key;
    return https(port_, ca_file_, "POST", topics("/jobs/messages"), body, h);
  }
};

TEST_F(QueuesApi, publish_pull_ack_and_a_stale_ack_refused) {
  ASSERT_EQ(call("POST", topics(), token_, {{"name", "jobs"}, {"ack_deadline_seconds", 1}}).status,
            201);
  ASSERT_EQ(call("POST", topics("/jobs/subscriptions"), token_, {{"name", "workers"}}).status, 201);
  auto first = publish("build 1", "b-1");
  EXPECT_EQ(first.status, 201) << first.body;
  auto again = publish("build 1", "b-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(json::parse(again.body).at("seq"), 1);
  ASSERT_EQ(publish("build 2").status, 201);

  auto pulled =
      call("POST", topics("/jobs/subscriptions/workers/pull?max=10"), token_, json::object{});
  ASSERT_EQ(pulled.status, 200) << pulled.body;
  const auto messages = json::parse(pulled.body).at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("body"), "build 1");
  const std::string ack1(messages[0].at("ack").as_string()),
      ack2(messages[1].at("ack").as_string());
  EXPECT_EQ(
      call("POST", topics("/jobs/subscriptions/workers/ack?token=" + ack1), token_, json::object{})
          .status,
      204);
  // The second one's deadline passes: it goes to the next pull, and the old ack is refused.
  std::this_thread::sleep_for(1100ms);
  auto redelivered =
      call("POST", topics("/jobs/subscriptions/workers/pull"), token_, json::object{});
  const auto again_messages = json::parse(redelivered.body).at("messages").as_array();
  ASSERT_EQ(again_messages.size(), 1u);
  EXPECT_EQ(again_messages[0].at("deliveries"), 2);
  auto stale =
      call("POST", topics("/jobs/subscriptions/workers/ack?token=" + ack2), token_, json::object{});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.headers["content-type"], "application/problem+json");
  EXPECT_NE(stale.body.find("is no longer yours"), std::string::npos) << stale.body;
  EXPECT_EQ(call("POST", topics("/nope/subscriptions/workers/pull"), token_, json::object{}).status,
            404);
  EXPECT_EQ(call("POST", topics(), token_, {{"name", "bad name"}}).status, 400);
}

TEST_F(QueuesApi, a_pull_that_waits_gets_the_message_published_meanwhile_and_a_batch_is_acked) {
  ASSERT_EQ(call("POST", topics(), token_, {{"name", "jobs"}}).status, 201);
  ASSERT_EQ(call("POST", topics("/jobs/subscriptions"), token_, {{"name", "workers"}}).status, 201);
  HttpResult waited;
  std::thread consumer([&] {
    waited = call("POST", topics("/jobs/subscriptions/workers/pull?max=10&wait_seconds=30"), token_,
                  json::object{});
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(publish("late").status, 201);
  consumer.join();
  ASSERT_EQ(waited.status, 200) << waited.body;
  auto messages = json::parse(waited.body).at("messages").as_array();
  ASSERT_EQ(messages.size(), 1u) << "the waiting pull answered with the message published";
  EXPECT_EQ(messages[0].at("body"), "late");
  ASSERT_EQ(publish("later").status, 201);
  auto second =
      call("POST", topics("/jobs/subscriptions/workers/pull?max=10"), token_, json::object{});
  const auto more = json::parse(second.body).at("messages").as_array();
  ASSERT_EQ(more.size(), 1u);
  // Both acknowledged in one call; a token that is not one refuses the whole batch.
  auto bad = call("POST", topics("/jobs/subscriptions/workers/ack"), token_,
                  {{"tokens", json::array{messages[0].at("ack"), "nonsense"}}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto batch = call("POST", topics("/jobs/subscriptions/workers/ack"), token_,
                    {{"tokens", json::array{messages[0].at("ack"), more[0].at("ack")}}});
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(json::parse(batch.body).at("settled"), 2);
  EXPECT_TRUE(json::parse(batch.body).at("refused").as_array().empty());
  // Acked twice: the second time, refused (it is no longer leased).
  auto twice = call("POST", topics("/jobs/subscriptions/workers/ack"), token_,
                    {{"tokens", json::array{more[0].at("ack")}}});
  EXPECT_EQ(json::parse(twice.body).at("refused").as_array().size(), 1u) << twice.body;
  EXPECT_EQ(call("POST", topics("/jobs/subscriptions/workers/pull?wait_seconds=99"), token_,
                 json::object{})
                .status,
            400);
}

TEST_F(QueuesApi, risctl_publishes_and_consumes) {
  ASSERT_EQ(call("POST", topics(), token_, {{"name", "jobs"}}).status, 201);
  ASSERT_EQ(call("POST", topics("/jobs/subscriptions"), token_, {{"name", "workers"}}).status, 201);
  const auto config = risctl_signed_in();
  const std::string ctl = "RISCTL_CONFIG=" + config.string() + " " + RISCTL_BINARY + " ";
  auto [pub, pub_out] = run_command(ctl + "pub jobs hello < /dev/null");
  EXPECT_EQ(pub, 0) << pub_out;
  EXPECT_EQ(pub_out, "topic/jobs seq 1\n");
  run_command(ctl + "pub jobs world < /dev/null");
  auto [sub, sub_out] = run_command("RISCTL_CONFIG=" + config.string() + " timeout 20 " +
                                    RISCTL_BINARY + " sub jobs workers --limit 2 < /dev/null");
  EXPECT_EQ(sub, 0) << sub_out;
  EXPECT_EQ(sub_out, "1 hello\n2 world\n");
  // Acknowledged: nothing is handed out again.
  auto pulled = call("POST", topics("/jobs/subscriptions/workers/pull"), token_, json::object{});
  EXPECT_TRUE(json::parse(pulled.body).at("messages").as_array().empty()) << pulled.body;
}

}  // namespace
}  // namespace ris::test
