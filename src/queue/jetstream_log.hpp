// The messages of a topic on NATS JetStream (backend "jetstream"): one stream per topic
// (RISQ_<topic id>, subject risq.<topic id>, the topic's retention as its limits), one durable
// pull consumer per subscription (RISQ_<subscription id>), so that every server of a cluster
// publishes to and pulls from the same place. Between LANs linked by leaf nodes, each LAN has its
// own JetStream domain: the topic's stream lives in the domain of the server that made it, and
// a subscription made in another LAN reads a mirror of it kept in its own domain — so its
// consumers keep reading what had arrived while the link is down, and JetStream fills the
// mirror in when the link is back.
//
// A delivery's ack token is "<delivered ms>.<JetStream's five numbers>": any server can answer it
// (acks are plain NATS subjects), and one past its ack deadline is refused, because JetStream
// may have handed the message to someone else since.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ris/bus/stream.hpp"
#include "ris/queue/queues.hpp"

namespace ris::queue {

// Where a new subscription starts.
struct Start {
  enum Kind { new_only, all, sequence, time } kind = new_only;
  int64_t seq = 1;
  SystemTime at{};
};

class JetStreamLog {
 public:
  explicit JetStreamLog(bus::Streams& streams) : streams_(streams) {}

  // The JetStream domain of the server risd is connected to (asked once, then remembered).
  Result<std::string> domain();

  Result<void> create(const Topic& t);
  // The stream everywhere: its home and the mirrors of the given subscriptions' domains.
  Result<void> remove(const Topic& t, const std::vector<Subscription>& subscriptions);
  Result<Published> publish(const Topic& t, const std::string& body,
                            const std::string& content_type,
                            const std::optional<std::string>& idempotency_key);
  Result<void> subscribe(const Topic& t, const Subscription& s, const Start& start);
  // `dead_letter` takes each message past the topic's max_deliveries (then never delivered
  // again); the others are returned, leased until the topic's ack deadline.
  Result<std::vector<Message>> pull(const Topic& t, const Subscription& s, int max,
                                    const std::function<Result<void>(const Message&)>& dead_letter);
  // Whether `token` has the shape of one pull gave.
  static bool well_formed(std::string_view token);
  // Several at once; the tokens refused (past their deadline).
  Result<std::vector<std::string>> settle_all(const Topic& t, const Subscription& s,
                                              const std::vector<std::string>& tokens, bool ack);
  // The first seq not yet handed out to the subscription.
  Result<int64_t> next_seq(const Topic& t, const Subscription& s);

 private:
  struct Slot {
    std::mutex mu;  // one fetch at a time per consumer
    std::unique_ptr<bus::Consumer> consumer;
  };
  Result<std::shared_ptr<Slot>> slot(const Topic& t, const Subscription& s);
  void drop(const Subscription& s);

  bus::Streams& streams_;
  std::mutex mu_;
  std::optional<std::string> domain_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;  // by subscription id
};

}  // namespace ris::queue
