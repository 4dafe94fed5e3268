// The SQL of durable queues: queue_topics, queue_messages, queue_subscriptions,
// queue_deliveries (migration 0015). Portable SQL only: it runs unchanged on SQLite and
// PostgreSQL. Publishing raises the topic's last_seq in its own transaction; pulling hands out
// deliveries in one transaction, so two consumers never hold the same delivery.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/cluster/duty.hpp"
#include "ris/queue/queues.hpp"
#include "ris/store/store.hpp"

namespace ris::queue {

class QueuesRepository {
 public:
  explicit QueuesRepository(store::Store& store) : store_(store) {}

  Result<void> insert_topic(const Topic& t);  // Errc::conflict: the name is taken
  Result<std::optional<Topic>> topic(std::string_view space_id, std::string_view name);
  Result<std::vector<Topic>> topics(std::string_view space_id);
  Result<bool> remove_topic(std::string_view topic_id);
  Result<Published> publish(std::string_view topic_id, const std::string& body,
                            const std::string& content_type,
                            const std::optional<std::string>& idempotency_key,
                            const std::string& now);
  // All of them in one transaction.
  Result<std::vector<Published>> publish_all(std::string_view topic_id,
                                             const std::vector<Outgoing>& messages,
                                             const std::string& now);
  // The first seq to hand out for a new subscription starting at `start_seq` (or at the first
  // message published at or after `since`); Errc::conflict when the name is taken.
  Result<Subscription> insert_subscription(const Subscription& s);
  Result<void> remove_subscription(std::string_view subscription_id);
  Result<int64_t> first_seq_since(std::string_view topic_id, const std::string& since);
  Result<int64_t> first_seq(std::string_view topic_id);
  Result<std::optional<Subscription>> subscription(std::string_view topic_id,
                                                   std::string_view name);
  Result<std::vector<Subscription>> subscriptions(std::string_view topic_id);
  // Leases up to `max` deliveries; those past max_deliveries go to `dead_letter` (a topic id,
  // or dropped when none) instead.
  Result<std::vector<Message>> pull(const Topic& topic, std::string_view subscription_id, int max,
                                    const std::optional<std::string>& dead_letter,
                                    const std::string& now, const std::string& lease_until);
  // True when the delivery (seq, deliveries) was still leased to its consumer.
  Result<bool> ack(std::string_view subscription_id, int64_t seq, int64_t deliveries,
                   const std::string& now);
  Result<bool> nack(std::string_view subscription_id, int64_t seq, int64_t deliveries,
                    const std::string& now);
  // Deletes messages past their topic's retention (age, count); how many.
  Result<size_t> trim(SystemTime now, const cluster::Fence& fence);

 private:
  store::Store& store_;
};

}  // namespace ris::queue
