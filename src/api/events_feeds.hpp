// The live feeds behind /events/v1 subscriptions (events_gateway.cpp): a bus subject's events,
// a watch of the key-value store, and a queue consumer. A feed runs until it is destroyed (the
// client unsubscribed or went away); between reads it parks in a Wakeups and holds no thread.
#pragma once
#include <memory>
#include <string>

#include "events_protocol.hpp"
#include "handlers.hpp"
#include "ris/identity/access.hpp"
#include "ris/net/websocket.hpp"

namespace ris::api {

class Feed {
 public:
  virtual ~Feed() = default;
  // Starts sending (after the client was told "subscribed").
  virtual void start() {}
  // A frame the client sent to this subscription (ack, nack); false when it takes none.
  virtual bool on_frame(const ClientMessage&) { return false; }
};

std::unique_ptr<Feed> bus_feed(std::unique_ptr<bus::Subscription> subscription);

// kv_change frames for the keys under `prefix` changed after `after_revision`, oldest first and
// each once: the change log first, then changes as they are written here or on another server.
// A client that reconnects (to any server) subscribes again after the last revision it saw.
std::unique_ptr<Feed> kv_feed(ApiContext& ctx, identity::SpaceAccess access, std::string prefix,
                              int64_t after_revision, std::string id,
                              std::weak_ptr<net::WsConnection> conn);

// message frames of a queue subscription, at most `max_in_flight` unanswered at a time; the
// client answers with {"type":"ack"|"nack","id","ack"} (or over REST).
std::unique_ptr<Feed> queue_feed(ApiContext& ctx, identity::SpaceAccess access, std::string topic,
                                 std::string subscription, int max_in_flight, std::string id,
                                 std::weak_ptr<net::WsConnection> conn);

}  // namespace ris::api
