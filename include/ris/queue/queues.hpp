// Durable queues of a space (seed 001 ARPuSuB), embedded on the store (both engines): topics
// keep their messages in order; a publish with an idempotency key is stored once; each
// subscription gets every message of its topic from where it started (new, all, a sequence
// number or a time: replay), and the consumers pulling one subscription share its messages.
// A pulled message is leased until its ack deadline — acked, it is done; nacked or not acked in
// time, it is delivered again; after max_deliveries it moves to the dead-letter topic. An ack
// carries the delivery it answers, so an ack for a message already redelivered to another
// consumer is refused. Topics keep messages for their retention (age and count).
// Where the messages live is chosen per topic when it is made: in the store on a server without
// NATS, in a NATS JetStream stream of its own on one with NATS (several servers share it; LANs
// linked by leaf nodes read mirrors of it). Topics and subscriptions are rows in the store
// either way. docs/queues.md is the user's guide. Needs USE_PUBSUB, checked on the topic as the
// resource.
#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ris/cluster/duty.hpp"
#include "ris/core/result.hpp"
#include "ris/core/wakeups.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::bus {
class Bus;
class Streams;
class Subscription;
}  // namespace ris::bus

namespace ris::queue {

inline constexpr size_t kMaxMessageBytes = 1 << 20;

struct Topic {
  std::string id, space_id, name;
  int64_t max_deliveries = 5, ack_deadline_seconds = 30;
  int64_t retention_seconds = 7 * 86400, retention_messages = 1'000'000;
  std::optional<std::string> dead_letter_topic;
  int64_t last_seq = 0;  // store: the last message's seq
  std::string created_at;
  std::string backend = "store";      // or "jetstream"
  std::string home_domain;            // jetstream: the JetStream domain of its stream
  std::string agent_access = "none";  // what the space's agents may do: publish, consume, both
};

struct Subscription {
  std::string id, topic_id, name;
  int64_t next_seq = 1;
  std::string created_at;
  std::string domain;  // jetstream: the JetStream domain its consumer reads in
};

struct Message {
  int64_t seq = 0;
  std::string body, content_type, published_at;
  int64_t deliveries = 0;  // this is the n-th time it is handed out
  std::string ack;         // "<seq>.<deliveries>": what ack and nack take
};

struct Outgoing {
  std::string body, content_type;
  std::optional<std::string> idempotency_key;
};

struct Published {
  int64_t seq = 0;
  bool replayed = false;  // the idempotency key had been used: `seq` is the message stored then
};

class JetStreamLog;

class Queues {
 public:
  // With `streams`, new topics keep their messages in JetStream. With `bus`, other servers hear
  // of publishes here (and this one of theirs), for the pulls that wait.
  explicit Queues(store::Store& store, bus::Streams* streams = nullptr, bus::Bus* bus = nullptr);
  ~Queues();

  // Body: name, max_deliveries (1–100, 5), ack_deadline_seconds (1–43200, 30),
  // agents (none | publish | consume | both: what the space's agents may do, none),
  // retention_seconds (60–31536000, 7 days), retention_messages (1–100000000, 1e6),
  // dead_letter_topic (a topic of the space).
  Result<Topic> create_topic(const identity::SpaceAccess& access, const boost::json::object& body);
  Result<std::vector<Topic>> topics(const identity::SpaceAccess& access);
  Result<void> remove_topic(const identity::SpaceAccess& access, std::string_view topic);
  Result<Published> publish(const identity::SpaceAccess& access, std::string_view topic,
                            std::string body, std::string content_type,
                            std::optional<std::string> idempotency_key);
  // Several messages at once (1 to 1000), stored in order: on the store in one transaction (all
  // or none), on JetStream one after another (an error says how many were stored before it).
  Result<std::vector<Published>> publish_all(const identity::SpaceAccess& access,
                                             std::string_view topic,
                                             std::vector<Outgoing> messages);
  // `start`: "new" (default), "all", {"seq": N} or {"time": RFC 3339}.
  Result<Subscription> subscribe(const identity::SpaceAccess& access, std::string_view topic,
                                 std::string_view name, const boost::json::value& start);
  Result<std::vector<Subscription>> subscriptions(const identity::SpaceAccess& access,
                                                  std::string_view topic);
  // Up to `max` messages leased to the caller: redeliveries first, then new ones.
  Result<std::vector<Message>> pull(const identity::SpaceAccess& access, std::string_view topic,
                                    std::string_view subscription, int max);
  // Errc::conflict when the delivery is no longer the caller's (redelivered, or its deadline
  // passed); Errc::invalid_argument for a token that is not one.
  Result<void> ack(const identity::SpaceAccess& access, std::string_view topic,
                   std::string_view subscription, std::string_view token);
  Result<void> nack(const identity::SpaceAccess& access, std::string_view topic,
                    std::string_view subscription, std::string_view token);
  // Several deliveries at once (at most 1000): the tokens refused (as ack() would with
  // Errc::conflict); Errc::invalid_argument, and none answered, when one is not a token.
  Result<std::vector<std::string>> settle_all(const identity::SpaceAccess& access,
                                              std::string_view topic, std::string_view subscription,
                                              const std::vector<std::string>& tokens, bool ack);

  // The same for an agent of the space, as its topic's `agents` setting allows (agents are not
  // members: no role applies to them). Errc::forbidden when it does not.
  Result<Published> publish_for_agent(const std::string& space_id, std::string_view topic,
                                      std::string body, std::string content_type,
                                      std::optional<std::string> idempotency_key);
  Result<std::vector<Message>> pull_for_agent(const std::string& space_id, std::string_view topic,
                                              std::string_view subscription, int max);
  Result<std::vector<std::string>> settle_for_agent(const std::string& space_id,
                                                    std::string_view topic,
                                                    std::string_view subscription,
                                                    const std::vector<std::string>& tokens,
                                                    bool ack);
  void wait_for_message(const std::string& space_id, std::string_view topic,
                        std::function<void()> resume);

  // Calls `resume` (from the waking thread: hand real work elsewhere) when the topic may have
  // a new message — a publish here or on another server — or at the latest 250 ms later.
  void wait_for_message(const identity::SpaceAccess& access, std::string_view topic,
                        std::function<void()> resume);

  // Drops messages past their topic's retention, under the duty's fence.
  Result<size_t> trim(SystemTime now, const cluster::Fence& fence);

 private:
  Result<Topic> topic_of(const identity::SpaceAccess& access, std::string_view name);
  Result<Topic> topic_for_agent(const std::string& space_id, std::string_view name,
                                std::string_view doing);
  Result<Published> publish_checked(const Topic& t, std::string body, std::string content_type,
                                    std::optional<std::string> idempotency_key);
  Result<std::vector<Message>> pull_from(const Topic& t, std::string_view subscription, int max);
  Result<std::vector<std::string>> settle_on(const Topic& t, std::string_view subscription,
                                             const std::vector<std::string>& tokens, bool ack);
  Result<void> settle(const identity::SpaceAccess& access, std::string_view topic,
                      std::string_view subscription, std::string_view token, bool ack);
  Result<JetStreamLog*> jetstream_of(const Topic& t);
  Result<Published> publish_to(const Topic& t, std::string body, std::string content_type,
                               std::optional<std::string> idempotency_key);
  void published(const std::string& key, bool tell_others);
  store::Store& store_;
  std::unique_ptr<JetStreamLog> jetstream_;
  bus::Bus* bus_;
  Wakeups wakeups_;  // by "<space id>/<topic name>"
  std::unique_ptr<bus::Subscription> subscription_;
};

}  // namespace ris::queue
