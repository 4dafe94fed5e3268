#include "queues_repository.hpp"

#include <fmt/format.h>

#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"

namespace ris::queue {
namespace {

constexpr std::string_view kTopicColumns =
    "id, space_id, name, max_deliveries, ack_deadline_seconds, retention_seconds, "
    "retention_messages, dead_letter_topic, last_seq, created_at, backend, home_domain, "
    "agent_access";
constexpr std::string_view kSubscriptionColumns =
    "id, topic_id, name, next_seq, created_at, domain";

Topic topic_from(const store::Row& r) {
  return Topic{r.get<std::string>("id"),
               r.get<std::string>("space_id"),
               r.get<std::string>("name"),
               r.get<int64_t>("max_deliveries"),
               r.get<int64_t>("ack_deadline_seconds"),
               r.get<int64_t>("retention_seconds"),
               r.get<int64_t>("retention_messages"),
               r.get_optional<std::string>("dead_letter_topic"),
               r.get<int64_t>("last_seq"),
               r.get<std::string>("created_at"),
               r.get<std::string>("backend"),
               r.get<std::string>("home_domain"),
               r.get<std::string>("agent_access")};
}

Subscription subscription_from(const store::Row& r) {
  return Subscription{r.get<std::string>("id"),         r.get<std::string>("topic_id"),
                      r.get<std::string>("name"),       r.get<int64_t>("next_seq"),
                      r.get<std::string>("created_at"), r.get<std::string>("domain")};
}

// Appends a message inside a transaction; the seq it got.
Result<int64_t> append(store::Store& tx, std::string_view topic_id, const std::string& body,
                       const std::string& content_type,
                       const std::optional<std::string>& idempotency_key, const std::string& now) {
  RIS_TRY(auto head,
          tx.query("SELECT last_seq FROM queue_topics WHERE id = ?", {std::string(topic_id)}));
  if (head.rows.empty())
    return fail(Errc::not_found, "no such topic");
  const int64_t seq = head.rows[0].get<int64_t>(0) + 1;
  RIS_TRY_VOID(
      tx.query("UPDATE queue_topics SET last_seq = ? WHERE id = ?", {seq, std::string(topic_id)}));
  RIS_TRY_VOID(
      tx.query("INSERT INTO queue_messages (topic_id, seq, idempotency_key, body, "
               "content_type, published_at) VALUES (?, ?, ?, ?, ?, ?)",
               {std::string(topic_id), seq, store::nullable(idempotency_key), store::Blob::of(body),
                content_type, now}));
  return seq;
}

}  // namespace

Result<void> QueuesRepository::insert_topic(const Topic& t) {
  RIS_TRY_VOID(store_.query(
      fmt::format("INSERT INTO queue_topics ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  kTopicColumns),
      {t.id, t.space_id, t.name, t.max_deliveries, t.ack_deadline_seconds, t.retention_seconds,
       t.retention_messages, store::nullable(t.dead_letter_topic), t.last_seq, t.created_at,
       t.backend, t.home_domain, t.agent_access}));
  return {};
}

Result<std::optional<Topic>> QueuesRepository::topic(std::string_view space_id,
                                                     std::string_view name) {
  RIS_TRY(auto rows, store_.query(fmt::format("SELECT {} FROM queue_topics WHERE space_id = ? AND "
                                              "(name = ? OR id = ?)",
                                              kTopicColumns),
                                  {std::string(space_id), std::string(name), std::string(name)}));
  if (rows.rows.empty())
    return std::optional<Topic>();
  return std::optional<Topic>(topic_from(rows.rows[0]));
}

Result<std::vector<Topic>> QueuesRepository::topics(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query(fmt::format("SELECT {} FROM queue_topics WHERE space_id = ? "
                                              "ORDER BY name",
                                              kTopicColumns),
                                  {std::string(space_id)}));
  std::vector<Topic> out;
  for (const auto& r : rows.rows)
    out.push_back(topic_from(r));
  return out;
}

Result<bool> QueuesRepository::remove_topic(std::string_view topic_id) {
  bool removed = false;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    const std::string id(topic_id);
    RIS_TRY_VOID(
        tx.query("DELETE FROM queue_deliveries WHERE subscription_id IN (SELECT id FROM "
                 "queue_subscriptions WHERE topic_id = ?)",
                 {id}));
    RIS_TRY_VOID(tx.query("DELETE FROM queue_subscriptions WHERE topic_id = ?", {id}));
    RIS_TRY_VOID(tx.query("DELETE FROM queue_messages WHERE topic_id = ?", {id}));
    RIS_TRY(auto r, tx.query("DELETE FROM queue_topics WHERE id = ?", {id}));
    removed = r.changes > 0;
    return {};
  }));
  return removed;
}

Result<Published> QueuesRepository::publish(std::string_view topic_id, const std::string& body,
                                            const std::string& content_type,
                                            const std::optional<std::string>& idempotency_key,
                                            const std::string& now) {
  RIS_TRY(auto all, publish_all(topic_id, {{body, content_type, idempotency_key}}, now));
  return all.front();
}

Result<std::vector<Published>> QueuesRepository::publish_all(std::string_view topic_id,
                                                             const std::vector<Outgoing>& messages,
                                                             const std::string& now) {
  std::vector<Published> out;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    out.clear();
    for (const auto& m : messages) {
      if (m.idempotency_key) {
        RIS_TRY(auto seen, tx.query("SELECT seq FROM queue_messages WHERE topic_id = ? AND "
                                    "idempotency_key = ?",
                                    {std::string(topic_id), *m.idempotency_key}));
        if (!seen.rows.empty()) {
          out.push_back({seen.rows[0].get<int64_t>(0), true});
          continue;
        }
      }
      RIS_TRY(int64_t seq, append(tx, topic_id, m.body, m.content_type, m.idempotency_key, now));
      out.push_back({seq, false});
    }
    return {};
  }));
  return out;
}

Result<Subscription> QueuesRepository::insert_subscription(const Subscription& s) {
  RIS_TRY_VOID(
      store_.query(fmt::format("INSERT INTO queue_subscriptions ({}) VALUES (?, ?, ?, ?, ?, ?)",
                               kSubscriptionColumns),
                   {s.id, s.topic_id, s.name, s.next_seq, s.created_at, s.domain}));
  return s;
}

Result<void> QueuesRepository::remove_subscription(std::string_view subscription_id) {
  RIS_TRY_VOID(
      store_.query("DELETE FROM queue_subscriptions WHERE id = ?", {std::string(subscription_id)}));
  return {};
}

Result<int64_t> QueuesRepository::first_seq_since(std::string_view topic_id,
                                                  const std::string& since) {
  RIS_TRY(auto rows, store_.query("SELECT min(seq) FROM queue_messages WHERE topic_id = ? AND "
                                  "published_at >= ?",
                                  {std::string(topic_id), since}));
  if (rows.rows.empty() || rows.rows[0].is_null(0)) {
    RIS_TRY(auto head, store_.query("SELECT last_seq FROM queue_topics WHERE id = ?",
                                    {std::string(topic_id)}));
    return head.rows.empty() ? int64_t{1} : head.rows[0].get<int64_t>(0) + 1;
  }
  return rows.rows[0].get<int64_t>(0);
}

Result<int64_t> QueuesRepository::first_seq(std::string_view topic_id) {
  return first_seq_since(topic_id, "");
}

Result<std::optional<Subscription>> QueuesRepository::subscription(std::string_view topic_id,
                                                                   std::string_view name) {
  RIS_TRY(auto rows, store_.query(fmt::format("SELECT {} FROM queue_subscriptions WHERE "
                                              "topic_id = ? AND name = ?",
                                              kSubscriptionColumns),
                                  {std::string(topic_id), std::string(name)}));
  if (rows.rows.empty())
    return std::optional<Subscription>();
  return std::optional<Subscription>(subscription_from(rows.rows[0]));
}

Result<std::vector<Subscription>> QueuesRepository::subscriptions(std::string_view topic_id) {
  RIS_TRY(auto rows, store_.query(fmt::format("SELECT {} FROM queue_subscriptions WHERE "
                                              "topic_id = ? ORDER BY name",
                                              kSubscriptionColumns),
                                  {std::string(topic_id)}));
  std::vector<Subscription> out;
  for (const auto& r : rows.rows)
    out.push_back(subscription_from(r));
  return out;
}

Result<std::vector<Message>> QueuesRepository::pull(const Topic& topic,
                                                    std::string_view subscription_id, int max,
                                                    const std::optional<std::string>& dead_letter,
                                                    const std::string& now,
                                                    const std::string& lease_until) {
  std::vector<Message> out;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    out.clear();
    const std::string sub(subscription_id);
    // Redeliveries first: nacked, or leased past their deadline.
    RIS_TRY(auto again,
            tx.query("SELECT d.seq, d.deliveries, m.body, m.content_type, m.published_at FROM "
                     "queue_deliveries d JOIN queue_messages m ON m.topic_id = ? AND m.seq = "
                     "d.seq WHERE d.subscription_id = ? AND (d.state = 'ready' OR d.lease_until "
                     "<= ?) ORDER BY d.seq LIMIT ?",
                     {topic.id, sub, now, int64_t{max}}));
    for (const auto& r : again.rows) {
      Message m{r.get<int64_t>(0),     r.get<std::string>(2), r.get<std::string>(3),
                r.get<std::string>(4), r.get<int64_t>(1) + 1, ""};
      if (m.deliveries > topic.max_deliveries) {
        // Delivered max_deliveries times and never acked: to the dead-letter topic.
        if (dead_letter)
          RIS_TRY_VOID(append(tx, *dead_letter, m.body, m.content_type, std::nullopt, now));
        RIS_TRY_VOID(tx.query("DELETE FROM queue_deliveries WHERE subscription_id = ? AND seq = ?",
                              {sub, m.seq}));
        continue;
      }
      RIS_TRY_VOID(
          tx.query("UPDATE queue_deliveries SET deliveries = ?, state = 'leased', "
                   "lease_until = ? WHERE subscription_id = ? AND seq = ?",
                   {m.deliveries, lease_until, sub, m.seq}));
      out.push_back(std::move(m));
    }
    // Then new messages, from the subscription's cursor.
    const int64_t room = max - static_cast<int64_t>(out.size());
    if (room <= 0)
      return {};
    RIS_TRY(auto cursor, tx.query("SELECT next_seq FROM queue_subscriptions WHERE id = ?", {sub}));
    if (cursor.rows.empty())
      return fail(Errc::not_found, "no such subscription");
    const int64_t next = cursor.rows[0].get<int64_t>(0);
    RIS_TRY(auto fresh, tx.query("SELECT seq, body, content_type, published_at FROM "
                                 "queue_messages WHERE topic_id = ? AND seq >= ? ORDER BY seq "
                                 "LIMIT ?",
                                 {topic.id, next, room}));
    int64_t last = next - 1;
    for (const auto& r : fresh.rows) {
      Message m{r.get<int64_t>(0),
                r.get<std::string>(1),
                r.get<std::string>(2),
                r.get<std::string>(3),
                1,
                ""};
      RIS_TRY_VOID(
          tx.query("INSERT INTO queue_deliveries (subscription_id, seq, deliveries, "
                   "state, lease_until) VALUES (?, ?, 1, 'leased', ?)",
                   {sub, m.seq, lease_until}));
      last = m.seq;
      out.push_back(std::move(m));
    }
    if (last >= next)
      RIS_TRY_VOID(
          tx.query("UPDATE queue_subscriptions SET next_seq = ? WHERE id = ?", {last + 1, sub}));
    return {};
  }));
  for (auto& m : out)
    m.ack = fmt::format("{}.{}", m.seq, m.deliveries);
  return out;
}

Result<bool> QueuesRepository::ack(std::string_view subscription_id, int64_t seq,
                                   int64_t deliveries, const std::string& now) {
  RIS_TRY(auto r, store_.query("DELETE FROM queue_deliveries WHERE subscription_id = ? AND seq = ? "
                               "AND deliveries = ? AND state = 'leased' AND lease_until > ?",
                               {std::string(subscription_id), seq, deliveries, now}));
  return r.changes > 0;
}

Result<bool> QueuesRepository::nack(std::string_view subscription_id, int64_t seq,
                                    int64_t deliveries, const std::string& now) {
  RIS_TRY(auto r, store_.query("UPDATE queue_deliveries SET state = 'ready' WHERE "
                               "subscription_id = ? AND seq = ? AND deliveries = ? AND state = "
                               "'leased' AND lease_until > ?",
                               {std::string(subscription_id), seq, deliveries, now}));
  return r.changes > 0;
}

Result<size_t> QueuesRepository::trim(SystemTime now, const cluster::Fence& fence) {
  // JetStream keeps its topics' limits itself.
  RIS_TRY(auto topics, store_.query(fmt::format("SELECT {} FROM queue_topics WHERE backend = "
                                                "'store'",
                                                kTopicColumns)));
  size_t dropped = 0;
  for (const auto& row : topics.rows) {
    const Topic t = topic_from(row);
    const std::string before = to_rfc3339(now - std::chrono::seconds(t.retention_seconds));
    const int64_t keep_from = t.last_seq - t.retention_messages + 1;
    RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
      RIS_TRY_VOID(fence(tx));
      RIS_TRY(auto r, tx.query("DELETE FROM queue_messages WHERE topic_id = ? AND "
                               "(published_at < ? OR seq < ?)",
                               {t.id, before, keep_from}));
      dropped += static_cast<size_t>(r.changes);
      // Deliveries of messages gone are gone too.
      RIS_TRY_VOID(
          tx.query("DELETE FROM queue_deliveries WHERE subscription_id IN (SELECT id "
                   "FROM queue_subscriptions WHERE topic_id = ?) AND seq NOT IN "
                   "(SELECT seq FROM queue_messages WHERE topic_id = ?)",
                   {t.id, t.id}));
      return {};
    }));
  }
  return dropped;
}

}  // namespace ris::queue
