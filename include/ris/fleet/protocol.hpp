// The agent protocol (v1, DESIGN.md): JSON text frames on /agent/v1 with seed 000's envelope.
//
//   {"message_type": "task_execution", "task_id": "…", "client_id": "…", "seq": 42,
//    "payload": {…}, "security": {"signature": "…", "timestamp": "…", "nonce": "…"}}
//
// Control messages from the server (task_execution, task_cancel) are signed with the server's
// Ed25519 task key over a canonical form; agents refuse unsigned, stale and replayed ones. Both
// sides use this file, so they cannot disagree on the format.
#pragma once
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

#include "ris/core/result.hpp"
#include "ris/core/time.hpp"
#include "ris/security/ed25519.hpp"

namespace ris::fleet {

inline constexpr size_t kMaxAgentMessageBytes = 1 << 20;

// Message types. Agent → server: hello, heartbeat, task_ack, task_output, task_result, refused,
// service_status. Server → agent: hello_ack, task_execution, task_cancel, services_desired, ack.
struct Envelope {
  std::string message_type;
  std::string task_id;    // the run id for task messages
  std::string client_id;  // the agent id
  int64_t seq = 0;
  boost::json::object payload;
  std::string signature, timestamp, nonce;  // base64url signature; RFC 3339; random
};

// Faces the network on both sides: fuzzed (tests/fuzz/fuzz_agent_message.cpp).
Result<Envelope> parse_envelope(std::string_view text);
std::string serialize(const Envelope& e);

// What the signature covers: type, ids, seq, timestamp, nonce and the payload's JSON.
std::string signing_input(const Envelope& e);
// Sets timestamp (now), a fresh nonce and the signature.
Result<void> sign(Envelope& e, const security::Ed25519Key& key);
bool is_control(std::string_view message_type);

// Refuses control messages that are unsigned, badly signed, outside ±window of the agent's
// clock, or seen before (nonce), remembering nonces for the window. Not thread-safe.
class ReplayGuard {
 public:
  ReplayGuard(std::string server_public_raw, std::chrono::seconds window)
      : public_(std::move(server_public_raw)), window_(window) {}
  Result<void> check(const Envelope& e, SystemTime now = std::chrono::system_clock::now());

 private:
  std::string public_;
  std::chrono::seconds window_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<SystemTime, std::string>> order_;
};

}  // namespace ris::fleet
