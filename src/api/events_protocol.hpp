// The people's event protocol (/events/v1): JSON text frames with a "type".
//   client → server: {"type":"ping","id":"…"}
//                    {"type":"auth","token":"<access token or API token>","id":"…"}
//                    {"type":"subscribe","topic":"task","space":"…","task":"…","id":"…"}
//                    {"type":"subscribe","topic":"agents"|"tasks"|"services","space":"…","id":"…"}
//                    {"type":"subscribe","topic":"kv","space":"…","prefix":"config/",
//                     "after_revision":N,"id":"…"}   (a watch of the key-value store)
//                    {"type":"subscribe","topic":"queue","space":"…","queue":"<topic>",
//                     "subscription":"…","max_in_flight":10,"id":"…"}   (a queue consumer)
//                    {"type":"ack"|"nack","id":"<the subscribe's id>","ack":"<token>"}
//                    {"type":"unsubscribe","id":"<the subscribe's id>"}
//   server → client: {"type":"hello","protocol":"events/v1","version":"…"} on connect,
//                    {"type":"pong"|"authenticated"|"subscribed"|"unsubscribed","id":"…"},
//                    events: {"type":"run_state"|"run_output","task","run","agent",…},
//                    {"type":"changed","resource":"agents"|"tasks"|"services","space","id",…}
//                    (agents: "event" connected|disconnected|heartbeat with "health"),
//                    {"type":"kv_change","id","revision","key","op","value"|"value_base64url",…}
//                    in revision order, {"type":"kv_progress","id","revision"} when the log was
//                    read up to a revision with nothing under the prefix (resume from there),
//                    {"type":"message","id","seq","body"|"body_base64url","ack",…} for a queue,
//                    {"type":"acked"|"nacked","id","ack"},
//                    {"type":"error","code":"…","message":"…","id":"…"} for a bad frame.
// Unknown types are errors, not closes. After a reconnect a client subscribes again, then
// fetches what it missed from the REST API (lists, GET …/runs/{run}/output?after=SEQ): subscribing
// before reading means no change falls between the two.
// parse_client_message faces the network: fuzzed by tests/fuzz/fuzz_events_message.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"

namespace ris::api {

struct ClientMessage {
  std::string type;
  std::string id;  // optional correlation id, echoed in the answer
  std::string token, topic, space, task;
  std::string prefix, queue, subscription, ack;
  int64_t after_revision = 0;  // >= 0
  int64_t max_in_flight = 10;  // 1 to 1000
};

Result<ClientMessage> parse_client_message(std::string_view text);
std::string hello_frame(std::string_view version);
std::string pong_frame(std::string_view id);
std::string ack_frame(std::string_view type, std::string_view id);
std::string error_frame(std::string_view code, std::string_view message, std::string_view id);

}  // namespace ris::api
