#include "ris/fleet/protocol.hpp"

#include <gtest/gtest.h>

namespace ris::fleet {
namespace {
using namespace std::chrono_literals;

Envelope control(const security::Ed25519Key& key) {
  Envelope e;
  e.message_type = "task_execution";
  e.task_id = "run-1";
  e.client_id = "agent-1";
  e.payload = {{"task_type", "shell"}, {"parameters", {{"argv", {"echo", "hi"}}, {"n", 1.5}}}};
  EXPECT_TRUE(sign(e, key));
  return e;
}

TEST(Protocol, signed_message_survives_the_wire_and_verifies) {
  auto key = *security::Ed25519Key::generate();
  auto e = control(key);
  auto back = parse_envelope(serialize(e));
  ASSERT_TRUE(back);
  ReplayGuard guard(key.public_raw(), 300s);
  EXPECT_TRUE(guard.check(*back));
}

TEST(Protocol, replayed_message_is_refused) {
  auto key = *security::Ed25519Key::generate();
  const std::string wire = serialize(control(key));
  ReplayGuard guard(key.public_raw(), 300s);
  EXPECT_TRUE(guard.check(*parse_envelope(wire)));
  auto again = guard.check(*parse_envelope(wire));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("replayed"), std::string::npos);
}

TEST(Protocol, unsigned_tampered_stale_and_foreign_messages_are_refused) {
  auto key = *security::Ed25519Key::generate();
  ReplayGuard guard(key.public_raw(), 300s);
  auto e = control(key);
  Envelope unsigned_e = e;
  unsigned_e.signature.clear();
  EXPECT_FALSE(guard.check(unsigned_e));
  Envelope tampered = e;
  tampered.payload["parameters"].as_object()["argv"] = boost::json::array{"rm", "-rf", "/"};
  EXPECT_FALSE(guard.check(tampered));
  EXPECT_FALSE(guard.check(e, std::chrono::system_clock::now() + 10min)) << "stale";
  auto other = *security::Ed25519Key::generate();
  EXPECT_FALSE(guard.check(control(other)));
}

TEST(Protocol, bad_input_is_a_clear_error) {
  EXPECT_FALSE(parse_envelope("not json"));
  EXPECT_FALSE(parse_envelope("[]"));
  EXPECT_FALSE(parse_envelope(R"({"payload": {}})"));
  EXPECT_FALSE(parse_envelope(R"({"message_type": "x", "payload": 3})"));
  EXPECT_TRUE(parse_envelope(R"({"message_type": "heartbeat"})"));
}
}  // namespace
}  // namespace ris::fleet
