// The event bus: how modules tell each other (and, through the events gateway, people) that
// something happened. In-process by default; NATS when risd nodes form a cluster. Delivery is
// at-most-once and asynchronous to the publisher — durable work goes through the Store.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"

namespace ris::bus {

using Message = std::shared_ptr<const std::string>;  // built once, shared by every subscriber
using Callback = std::function<void(std::string_view subject, const Message& message)>;

// Unsubscribes when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Subjects are dot-separated ("space.<id>.agents"). Callbacks run on the publisher's thread
  // for the in-process bus, on the NATS client's delivery threads for NATS, and must not block;
  // hand real work to the subscriber's own executor. Once ~Subscription returns its callback is
  // never called again; a NATS callback may destroy its own subscription.
  virtual void publish(std::string_view subject, Message message) = 0;
  // `pattern`: an exact subject, or a prefix ending in ".>" matching everything below it.
  virtual std::unique_ptr<Subscription> subscribe(std::string pattern, Callback callback) = 0;
  // Whether anyone subscribes to anything: publishers skip building events nobody would get
  // (the common case, a fleet with no dashboard open). May say true when unsure.
  virtual bool has_subscribers() const = 0;
  virtual std::string_view backend() const = 0;
  virtual bool connected() const = 0;
};

// Empty URL → in-process; "nats://HOST:PORT", "tls://…", several comma-separated, with
// USER:PASSWORD@ or ?token=, ?creds=FILE, ?ca=FILE&cert=FILE&key=FILE → NATS (connects in the
// background, reconnects forever). A bad URL → Errc::invalid_argument naming the wrong part.
Result<std::unique_ptr<Bus>> open_bus(std::string_view url);

}  // namespace ris::bus
