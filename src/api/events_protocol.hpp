// The people's event protocol (/events/v1): JSON text frames with a "type".
//   client → server: {"type":"ping","id":"…"}
//   server → client: {"type":"hello","protocol":"events/v1","version":"…"} on connect,
//                    {"type":"pong","id":"…"},
//                    {"type":"error","code":"…","message":"…","id":"…"} for a bad frame.
// Subscriptions to live views arrive with the dashboard; unknown types are errors, not closes.
// parse_client_message faces the network: fuzzed by tests/fuzz/fuzz_events_message.cpp.
#pragma once
#include <string>
#include <string_view>

#include "ris/core/result.hpp"

namespace ris::api {

struct ClientMessage {
  std::string type;
  std::string id;  // optional correlation id, echoed in the answer
};

Result<ClientMessage> parse_client_message(std::string_view text);
std::string hello_frame(std::string_view version);
std::string pong_frame(std::string_view id);
std::string error_frame(std::string_view code, std::string_view message, std::string_view id);

}  // namespace ris::api
