#include "events_protocol.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace ris::api {
namespace {
TEST(EventsProtocol, parses_typed_frames_with_optional_id) {
  auto m = parse_client_message(R"({"type":"ping","id":"7"})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, "ping");
  EXPECT_EQ(m->id, "7");
}

TEST(EventsProtocol, rejects_bad_frames_with_a_reason) {
  EXPECT_FALSE(parse_client_message("not json"));
  EXPECT_FALSE(parse_client_message("[1,2]"));
  EXPECT_FALSE(parse_client_message(R"({"id":"x"})"));
  EXPECT_FALSE(parse_client_message(R"({"type":1})"));
  EXPECT_FALSE(parse_client_message(R"({"type":"ping","id":5})"));
  EXPECT_FALSE(parse_client_message(std::string(100, '[') + std::string(100, ']')));
}

TEST(EventsProtocol, watch_and_consumer_subscriptions_carry_their_numbers_checked) {
  auto kv = parse_client_message(
      R"({"type":"subscribe","topic":"kv","prefix":"config/","after_revision":42,"id":"w"})");
  ASSERT_TRUE(kv) << kv.error().message;
  EXPECT_EQ(kv->prefix, "config/");
  EXPECT_EQ(kv->after_revision, 42);
  auto q = parse_client_message(
      R"({"type":"subscribe","topic":"queue","queue":"jobs","subscription":"w","max_in_flight":5})");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->queue, "jobs");
  EXPECT_EQ(q->max_in_flight, 5);
  EXPECT_EQ(parse_client_message(R"({"type":"subscribe"})")->max_in_flight, 10);
  auto negative = parse_client_message(R"({"type":"subscribe","after_revision":-1})");
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().message,
            "\"after_revision\" must be a whole number from 0 to "
            "9223372036854775807");
  EXPECT_FALSE(parse_client_message(R"({"type":"subscribe","max_in_flight":0})"));
  EXPECT_FALSE(parse_client_message(R"({"type":"subscribe","max_in_flight":"5"})"));
  EXPECT_FALSE(parse_client_message(R"({"type":"ack","ack":7})"));
}

TEST(EventsProtocol, frames_are_json_with_their_type) {
  EXPECT_EQ(boost::json::parse(pong_frame("a")).at("type").as_string(), "pong");
  auto e = boost::json::parse(error_frame("bad_message", "why \"quoted\"", "")).as_object();
  EXPECT_EQ(e.at("message").as_string(), "why \"quoted\"");
  EXPECT_FALSE(e.contains("id"));
}
}  // namespace
}  // namespace ris::api
