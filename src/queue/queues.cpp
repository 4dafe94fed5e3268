#include "ris/queue/queues.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "queues_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"

namespace ris::queue {
namespace {
namespace json = boost::json;

Failure bad(std::string m) {
  return fail(Errc::invalid_argument, std::move(m));
}

Result<void> check_name(std::string_view what, std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (!ok)
    return bad(fmt::format("a {} name has 1 to 128 letters, digits, '-', '_' or '.'", what));
  return {};
}

Result<int64_t> int_in(const json::object& o, std::string_view key, int64_t lo, int64_t hi,
                       int64_t fallback) {
  const auto* v = o.if_contains(key);
  if (!v)
    return fallback;
  if (!v->is_int64())
    return bad(fmt::format("\"{}\" must be a whole number", key));
  if (v->as_int64() < lo || v->as_int64() > hi)
    return bad(fmt::format("\"{}\" must be between {} and {}", key, lo, hi));
  return v->as_int64();
}

Result<void> require_pubsub(store::Store& store, const identity::SpaceAccess& access,
                            std::string_view topic) {
  RIS_TRY_VOID(identity::require(access, 0));
  RIS_TRY(auto perms, identity::resource_permissions(store, access, "topic", topic));
  if ((perms & identity::kUsePubsub) == 0)
    return fail(Errc::forbidden, "you need the USE_PUBSUB permission");
  return {};
}

// "<seq>.<deliveries>"
Result<std::pair<int64_t, int64_t>> parse_ack(std::string_view token) {
  const auto dot = token.find('.');
  int64_t seq = 0, n = 0;
  auto num = [](std::string_view s, int64_t& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty() && out > 0;
  };
  if (dot == std::string_view::npos || !num(token.substr(0, dot), seq) ||
      !num(token.substr(dot + 1), n))
    return bad("an ack token looks like \"12.1\" (the message's seq and delivery), as pull gave");
  return std::pair{seq, n};
}

}  // namespace

Result<Topic> Queues::topic_of(const identity::SpaceAccess& access, std::string_view name) {
  RIS_TRY_VOID(require_pubsub(store_, access, name));
  RIS_TRY(auto t, QueuesRepository(store_).topic(access.space_id, name));
  if (!t)
    return fail(Errc::not_found, fmt::format("no topic \"{}\"", name));
  return std::move(*t);
}

Result<Topic> Queues::create_topic(const identity::SpaceAccess& access, const json::object& body) {
  static constexpr std::array<std::string_view, 6> kKnown{"name",
                                                          "max_deliveries",
                                                          "ack_deadline_seconds",
                                                          "retention_seconds",
                                                          "retention_messages",
                                                          "dead_letter_topic"};
  for (const auto& kv : body)
    if (std::find(kKnown.begin(), kKnown.end(), kv.key()) == kKnown.end())
      return bad(fmt::format("unknown field \"{}\"", std::string_view(kv.key())));
  Topic t;
  const auto* name = body.if_contains("name");
  t.name = name && name->is_string() ? std::string(name->as_string()) : "";
  RIS_TRY_VOID(check_name("topic", t.name));
  RIS_TRY_VOID(require_pubsub(store_, access, t.name));
  RIS_TRY(t.max_deliveries, int_in(body, "max_deliveries", 1, 100, 5));
  RIS_TRY(t.ack_deadline_seconds, int_in(body, "ack_deadline_seconds", 1, 43200, 30));
  RIS_TRY(t.retention_seconds, int_in(body, "retention_seconds", 60, 365 * 86400, 7 * 86400));
  RIS_TRY(t.retention_messages, int_in(body, "retention_messages", 1, 100'000'000, 1'000'000));
  QueuesRepository repo(store_);
  if (const auto* dl = body.if_contains("dead_letter_topic"); dl && !dl->is_null()) {
    if (!dl->is_string())
      return bad("\"dead_letter_topic\" must be a topic's name");
    RIS_TRY(auto target, repo.topic(access.space_id, dl->as_string()));
    if (!target)
      return bad(fmt::format("no topic \"{}\" for dead letters: create it first",
                             std::string_view(dl->as_string())));
    t.dead_letter_topic = target->name;
  }
  t.id = new_id();
  t.space_id = access.space_id;
  t.created_at = now_rfc3339();
  if (auto r = repo.insert_topic(t); !r)
    return r.error().code == Errc::conflict
               ? Result<Topic>(fail(Errc::conflict, "this space has a topic \"" + t.name + "\""))
               : Result<Topic>(fail(r.error()));
  return t;
}

Result<std::vector<Topic>> Queues::topics(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, identity::kUsePubsub));
  return QueuesRepository(store_).topics(access.space_id);
}

Result<void> Queues::remove_topic(const identity::SpaceAccess& access, std::string_view topic) {
  RIS_TRY(auto t, topic_of(access, topic));
  RIS_TRY(bool removed, QueuesRepository(store_).remove_topic(t.id));
  if (!removed)
    return fail(Errc::not_found, fmt::format("no topic \"{}\"", topic));
  return {};
}

Result<Published> Queues::publish(const identity::SpaceAccess& access, std::string_view topic,
                                  std::string body, std::string content_type,
                                  std::optional<std::string> idempotency_key) {
  RIS_TRY(auto t, topic_of(access, topic));
  if (body.size() > kMaxMessageBytes)
    return fail(Errc::too_large, "a message has at most 1 MiB");
  if (idempotency_key && (idempotency_key->empty() || idempotency_key->size() > 255))
    return bad("an idempotency key has 1 to 255 characters");
  if (content_type.empty())
    content_type = "application/octet-stream";
  return QueuesRepository(store_).publish(t.id, body, content_type, idempotency_key, now_rfc3339());
}

Result<Subscription> Queues::subscribe(const identity::SpaceAccess& access, std::string_view topic,
                                       std::string_view name, const json::value& start) {
  RIS_TRY(auto t, topic_of(access, topic));
  RIS_TRY_VOID(check_name("subscription", name));
  QueuesRepository repo(store_);
  Subscription s{new_id(), t.id, std::string(name), t.last_seq + 1, now_rfc3339()};
  if (start.is_string() && start.as_string() == "all") {
    RIS_TRY(s.next_seq, repo.first_seq(t.id));
  } else if (start.is_object() && start.as_object().contains("seq") &&
             start.as_object().at("seq").is_int64() && start.as_object().at("seq").as_int64() > 0) {
    s.next_seq = start.as_object().at("seq").as_int64();
  } else if (start.is_object() && start.as_object().contains("time") &&
             start.as_object().at("time").is_string()) {
    auto at = parse_rfc3339(start.as_object().at("time").as_string());
    if (!at)
      return bad("\"start\": {\"time\": …} needs an RFC 3339 time");
    RIS_TRY(s.next_seq, repo.first_seq_since(t.id, to_rfc3339(*at)));
  } else if (!start.is_null() && !(start.is_string() && start.as_string() == "new")) {
    return bad("\"start\" is \"new\" (default), \"all\", {\"seq\": N} or {\"time\": RFC 3339}");
  }
  if (auto r = repo.insert_subscription(s); !r)
    return r.error().code == Errc::conflict
               ? Result<Subscription>(fail(Errc::conflict, fmt::format("topic \"{}\" has a "
                                                                       "subscription \"{}\"",
                                                                       topic, name)))
               : Result<Subscription>(fail(r.error()));
  return s;
}

Result<std::vector<Subscription>> Queues::subscriptions(const identity::SpaceAccess& access,
                                                        std::string_view topic) {
  RIS_TRY(auto t, topic_of(access, topic));
  return QueuesRepository(store_).subscriptions(t.id);
}

Result<std::vector<Message>> Queues::pull(const identity::SpaceAccess& access,
                                          std::string_view topic, std::string_view subscription,
                                          int max) {
  RIS_TRY(auto t, topic_of(access, topic));
  if (max < 1 || max > 1000)
    return bad("max must be between 1 and 1000");
  QueuesRepository repo(store_);
  RIS_TRY(auto s, repo.subscription(t.id, subscription));
  if (!s)
    return fail(Errc::not_found,
                fmt::format("no subscription \"{}\" of \"{}\"", subscription, topic));
  std::optional<std::string> dead_letter;
  if (t.dead_letter_topic) {
    RIS_TRY(auto dl, repo.topic(access.space_id, *t.dead_letter_topic));
    if (dl)
      dead_letter = dl->id;
  }
  const auto now = std::chrono::system_clock::now();
  return repo.pull(t, s->id, max, dead_letter, to_rfc3339(now),
                   to_rfc3339(now + std::chrono::seconds(t.ack_deadline_seconds)));
}

Result<void> Queues::ack(const identity::SpaceAccess& access, std::string_view topic,
                         std::string_view subscription, std::string_view token) {
  return settle(access, topic, subscription, token, true);
}

Result<void> Queues::nack(const identity::SpaceAccess& access, std::string_view topic,
                          std::string_view subscription, std::string_view token) {
  return settle(access, topic, subscription, token, false);
}

Result<void> Queues::settle(const identity::SpaceAccess& access, std::string_view topic,
                            std::string_view subscription, std::string_view token, bool ack) {
  RIS_TRY(auto t, topic_of(access, topic));
  RIS_TRY(auto d, parse_ack(token));
  QueuesRepository repo(store_);
  RIS_TRY(auto s, repo.subscription(t.id, subscription));
  if (!s)
    return fail(Errc::not_found,
                fmt::format("no subscription \"{}\" of \"{}\"", subscription, topic));
  const std::string now = now_rfc3339();
  RIS_TRY(bool done,
          ack ? repo.ack(s->id, d.first, d.second, now) : repo.nack(s->id, d.first, d.second, now));
  if (!done)
    return fail(Errc::conflict,
                fmt::format("delivery {} is no longer yours: its ack deadline passed or it was "
                            "delivered again",
                            token));
  return {};
}

Result<size_t> Queues::trim(SystemTime now, const cluster::Fence& fence) {
  return QueuesRepository(store_).trim(now, fence);
}

}  // namespace ris::queue
