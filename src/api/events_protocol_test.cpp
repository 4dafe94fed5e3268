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

TEST(EventsProtocol, frames_are_json_with_their_type) {
  EXPECT_EQ(boost::json::parse(pong_frame("a")).at("type").as_string(), "pong");
  auto e = boost::json::parse(error_frame("bad_message", "why \"quoted\"", "")).as_object();
  EXPECT_EQ(e.at("message").as_string(), "why \"quoted\"");
  EXPECT_FALSE(e.contains("id"));
}
}  // namespace
}  // namespace ris::api
