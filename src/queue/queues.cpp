#include "ris/queue/queues.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "jetstream_log.hpp"
#include "queues_repository.hpp"
#include "ris/bus/bus.hpp"
#include "ris/bus/stream.hpp"
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

Result<Start> parse_start(const json::value& start) {
  const auto* o = start.if_object();
  if (start.is_null() || (start.is_string() && start.as_string() == "new"))
    return Start{};
  if (start.is_string() && start.as_string() == "all")
    return Start{Start::all};
  if (o && o->contains("seq") && o->at("seq").is_int64() && o->at("seq").as_int64() > 0)
    return Start{Start::sequence, o->at("seq").as_int64()};
  if (o && o->contains("time") && o->at("time").is_string()) {
    auto at = parse_rfc3339(o->at("time").as_string());
    if (!at)
      return bad("\"start\": {\"time\": …} needs an RFC 3339 time");
    return Start{Start::time, 1, *at};
  }
  return bad("\"start\" is \"new\" (default), \"all\", {\"seq\": N} or {\"time\": RFC 3339}");
}

}  // namespace

constexpr std::string_view kPublished = "queue.published";  // message: "<space id>/<topic>"

Queues::Queues(store::Store& store, bus::Streams* streams, bus::Bus* bus)
    : store_(store),
      jetstream_(streams != nullptr ? std::make_unique<JetStreamLog>(*streams) : nullptr),
      bus_(bus) {
  if (bus_)
    subscription_ =
        bus_->subscribe(std::string(kPublished), [this](std::string_view, const bus::Message& m) {
          if (m)
            published(*m, false);
        });
}

Queues::~Queues() {
  subscription_.reset();
}

void Queues::published(const std::string& key, bool tell_others) {
  wakeups_.notify(key);
  if (tell_others && bus_)
    bus_->publish(kPublished, std::make_shared<const std::string>(key));
}

void Queues::wait_for_message(const identity::SpaceAccess& access, std::string_view topic,
                              std::function<void()> resume) {
  wait_for_message(access.space_id, topic, std::move(resume));
}

void Queues::wait_for_message(const std::string& space_id, std::string_view topic,
                              std::function<void()> resume) {
  wakeups_.wait(fmt::format("{}/{}", space_id, topic), std::move(resume));
}

Result<JetStreamLog*> Queues::jetstream_of(const Topic& t) {
  if (!jetstream_)
    return fail(Errc::unavailable,
                fmt::format("topic \"{}\" keeps its messages in NATS JetStream, and this server "
                            "has no NATS (RIS_NATS_URL)",
                            t.name));
  return jetstream_.get();
}

Result<Topic> Queues::topic_of(const identity::SpaceAccess& access, std::string_view name) {
  RIS_TRY_VOID(require_pubsub(store_, access, name));
  RIS_TRY(auto t, QueuesRepository(store_).topic(access.space_id, name));
  if (!t)
    return fail(Errc::not_found, fmt::format("no topic \"{}\"", name));
  return std::move(*t);
}

Result<Topic> Queues::topic_for_agent(const std::string& space_id, std::string_view name,
                                      std::string_view doing) {
  RIS_TRY(auto t, QueuesRepository(store_).topic(space_id, name));
  if (!t)
    return fail(Errc::not_found, fmt::format("no topic \"{}\"", name));
  if (t->agent_access != doing && t->agent_access != "both")
    return fail(Errc::forbidden,
                fmt::format("topic \"{}\" does not let agents {} (its \"agents\" setting is "
                            "\"{}\")",
                            name, doing, t->agent_access));
  return std::move(*t);
}

Result<Topic> Queues::create_topic(const identity::SpaceAccess& access, const json::object& body) {
  static constexpr std::array<std::string_view, 7> kKnown{
      "name",   "max_deliveries",     "ack_deadline_seconds", "retention_seconds",
      "agents", "retention_messages", "dead_letter_topic"};
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
  if (const auto* agents = body.if_contains("agents")) {
    const bool known =
        agents->is_string() && (agents->as_string() == "none" || agents->as_string() == "publish" ||
                                agents->as_string() == "consume" || agents->as_string() == "both");
    if (!known)
      return bad("\"agents\" is \"none\" (default), \"publish\", \"consume\" or \"both\"");
    t.agent_access = std::string(agents->as_string());
  }
  QueuesRepository repo(store_);
  if (const auto* dl = body.if_contains("dead_letter_topic"); dl && !dl->is_null()) {
    if (!dl->is_string())
      return bad("\"dead_letter_topic\" must be a topic's name");
    RIS_TRY(auto target, repo.topic(access.space_id, dl->as_string()));
    if (!target)
      return bad(fmt::format("no topic \"{}\" for dead letters: create it first",
                             std::string_view(dl->as_string())));
    if (target->backend != (jetstream_ ? "jetstream" : "store"))
      return bad(
          fmt::format("topic \"{}\" keeps its messages in {}, this one would in {}: a "
                      "dead-letter topic lives where its topic does",
                      target->name, target->backend, jetstream_ ? "jetstream" : "store"));
    t.dead_letter_topic = target->name;
  }
  t.id = new_id();
  t.space_id = access.space_id;
  t.created_at = now_rfc3339();
  if (jetstream_) {
    t.backend = "jetstream";
    RIS_TRY(t.home_domain, jetstream_->domain());
    RIS_TRY(auto existing, repo.topic(access.space_id, t.name));
    if (existing)
      return fail(Errc::conflict, "this space has a topic \"" + t.name + "\"");
    RIS_TRY_VOID(jetstream_->create(t));
  }
  if (auto r = repo.insert_topic(t); !r) {
    if (jetstream_)
      (void)jetstream_->remove(t, {});
    return r.error().code == Errc::conflict
               ? Result<Topic>(fail(Errc::conflict, "this space has a topic \"" + t.name + "\""))
               : Result<Topic>(fail(r.error()));
  }
  return t;
}

Result<std::vector<Topic>> Queues::topics(const identity::SpaceAccess& access) {
  RIS_TRY_VOID(identity::require(access, identity::kUsePubsub));
  return QueuesRepository(store_).topics(access.space_id);
}

Result<void> Queues::remove_topic(const identity::SpaceAccess& access, std::string_view topic) {
  RIS_TRY(auto t, topic_of(access, topic));
  QueuesRepository repo(store_);
  if (t.backend == "jetstream") {
    RIS_TRY(auto log, jetstream_of(t));
    RIS_TRY(auto subs, repo.subscriptions(t.id));
    RIS_TRY_VOID(log->remove(t, subs));
  }
  RIS_TRY(bool removed, repo.remove_topic(t.id));
  if (!removed)
    return fail(Errc::not_found, fmt::format("no topic \"{}\"", topic));
  return {};
}

Result<Published> Queues::publish(const identity::SpaceAccess& access, std::string_view topic,
                                  std::string body, std::string content_type,
                                  std::optional<std::string> idempotency_key) {
  RIS_TRY(auto t, topic_of(access, topic));
  return publish_checked(t, std::move(body), std::move(content_type), std::move(idempotency_key));
}

Result<Published> Queues::publish_for_agent(const std::string& space_id, std::string_view topic,
                                            std::string body, std::string content_type,
                                            std::optional<std::string> idempotency_key) {
  RIS_TRY(auto t, topic_for_agent(space_id, topic, "publish"));
  return publish_checked(t, std::move(body), std::move(content_type), std::move(idempotency_key));
}

Result<Published> Queues::publish_checked(const Topic& t, std::string body,
                                          std::string content_type,
                                          std::optional<std::string> idempotency_key) {
  if (body.size() > kMaxMessageBytes)
    return fail(Errc::too_large, "a message has at most 1 MiB");
  if (idempotency_key && (idempotency_key->empty() || idempotency_key->size() > 255))
    return bad("an idempotency key has 1 to 255 characters");
  return publish_to(t, std::move(body), std::move(content_type), std::move(idempotency_key));
}

Result<std::vector<Published>> Queues::publish_all(const identity::SpaceAccess& access,
                                                   std::string_view topic,
                                                   std::vector<Outgoing> messages) {
  RIS_TRY(auto t, topic_of(access, topic));
  if (messages.empty() || messages.size() > 1000)
    return bad("a batch has 1 to 1000 messages");
  for (auto& m : messages) {
    if (m.body.size() > kMaxMessageBytes)
      return fail(Errc::too_large, "a message has at most 1 MiB");
    if (m.idempotency_key && (m.idempotency_key->empty() || m.idempotency_key->size() > 255))
      return bad("an idempotency key has 1 to 255 characters");
    if (m.content_type.empty())
      m.content_type = "application/octet-stream";
  }
  std::vector<Published> out;
  if (t.backend == "jetstream") {
    RIS_TRY(auto log, jetstream_of(t));
    for (const auto& m : messages) {
      auto p = log->publish(t, m.body, m.content_type, m.idempotency_key);
      if (!p) {
        if (!out.empty())
          published(fmt::format("{}/{}", t.space_id, t.name), true);
        return fail(p.error().code, fmt::format("{} of {} stored, then: {}", out.size(),
                                                messages.size(), p.error().message));
      }
      out.push_back(*p);
    }
  } else {
    RIS_TRY(out, QueuesRepository(store_).publish_all(t.id, messages, now_rfc3339()));
  }
  published(fmt::format("{}/{}", t.space_id, t.name), true);
  return out;
}

Result<Published> Queues::publish_to(const Topic& t, std::string body, std::string content_type,
                                     std::optional<std::string> idempotency_key) {
  if (content_type.empty())
    content_type = "application/octet-stream";
  Published out;
  if (t.backend == "jetstream") {
    RIS_TRY(auto log, jetstream_of(t));
    RIS_TRY(out, log->publish(t, body, content_type, idempotency_key));
  } else {
    RIS_TRY(out, QueuesRepository(store_).publish(t.id, body, content_type, idempotency_key,
                                                  now_rfc3339()));
  }
  published(fmt::format("{}/{}", t.space_id, t.name), true);
  return out;
}

Result<Subscription> Queues::subscribe(const identity::SpaceAccess& access, std::string_view topic,
                                       std::string_view name, const json::value& start_body) {
  RIS_TRY(auto t, topic_of(access, topic));
  RIS_TRY_VOID(check_name("subscription", name));
  RIS_TRY(auto start, parse_start(start_body));
  QueuesRepository repo(store_);
  Subscription s{new_id(), t.id, std::string(name), t.last_seq + 1, now_rfc3339(), ""};
  JetStreamLog* log = nullptr;
  if (t.backend == "jetstream") {
    RIS_TRY(log, jetstream_of(t));
    RIS_TRY(s.domain, log->domain());
    s.next_seq = start.kind == Start::sequence ? start.seq : 1;
  } else if (start.kind == Start::all) {
    RIS_TRY(s.next_seq, repo.first_seq(t.id));
  } else if (start.kind == Start::sequence) {
    s.next_seq = start.seq;
  } else if (start.kind == Start::time) {
    RIS_TRY(s.next_seq, repo.first_seq_since(t.id, to_rfc3339(start.at)));
  }
  if (auto r = repo.insert_subscription(s); !r)
    return r.error().code == Errc::conflict
               ? Result<Subscription>(fail(Errc::conflict, fmt::format("topic \"{}\" has a "
                                                                       "subscription \"{}\"",
                                                                       topic, name)))
               : Result<Subscription>(fail(r.error()));
  if (log) {
    if (auto made = log->subscribe(t, s, start); !made) {
      (void)repo.remove_subscription(s.id);
      return fail(made.error());
    }
    if (auto next = log->next_seq(t, s))
      s.next_seq = *next;
  }
  return s;
}

Result<std::vector<Subscription>> Queues::subscriptions(const identity::SpaceAccess& access,
                                                        std::string_view topic) {
  RIS_TRY(auto t, topic_of(access, topic));
  RIS_TRY(auto subs, QueuesRepository(store_).subscriptions(t.id));
  if (t.backend == "jetstream" && jetstream_)
    for (auto& s : subs)
      if (auto next = jetstream_->next_seq(t, s))
        s.next_seq = *next;
  return subs;
}

Result<std::vector<Message>> Queues::pull(const identity::SpaceAccess& access,
                                          std::string_view topic, std::string_view subscription,
                                          int max) {
  RIS_TRY(auto t, topic_of(access, topic));
  return pull_from(t, subscription, max);
}

Result<std::vector<Message>> Queues::pull_for_agent(const std::string& space_id,
                                                    std::string_view topic,
                                                    std::string_view subscription, int max) {
  RIS_TRY(auto t, topic_for_agent(space_id, topic, "consume"));
  return pull_from(t, subscription, max);
}

Result<std::vector<Message>> Queues::pull_from(const Topic& t, std::string_view subscription,
                                               int max) {
  if (max < 1 || max > 1000)
    return bad("max must be between 1 and 1000");
  QueuesRepository repo(store_);
  RIS_TRY(auto s, repo.subscription(t.id, subscription));
  if (!s)
    return fail(Errc::not_found,
                fmt::format("no subscription \"{}\" of \"{}\"", subscription, t.name));
  std::optional<Topic> dead_letter_topic;
  if (t.dead_letter_topic) {
    RIS_TRY(dead_letter_topic, repo.topic(t.space_id, *t.dead_letter_topic));
  }
  if (t.backend == "jetstream") {
    RIS_TRY(auto log, jetstream_of(t));
    return log->pull(t, *s, max, [&](const Message& m) -> Result<void> {
      if (!dead_letter_topic)
        return {};  // dropped: there is no dead-letter topic
      RIS_TRY_VOID(publish_to(*dead_letter_topic, m.body, m.content_type,
                              fmt::format("dead-letter:{}:{}:{}", t.id, s->id, m.seq)));
      return {};
    });
  }
  std::optional<std::string> dead_letter;
  if (dead_letter_topic)
    dead_letter = dead_letter_topic->id;
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
  RIS_TRY(auto refused, settle_all(access, topic, subscription, {std::string(token)}, ack));
  if (!refused.empty())
    return fail(Errc::conflict,
                fmt::format("delivery {} is no longer yours: its ack deadline passed or it was "
                            "delivered again",
                            token));
  return {};
}

Result<std::vector<std::string>> Queues::settle_all(const identity::SpaceAccess& access,
                                                    std::string_view topic,
                                                    std::string_view subscription,
                                                    const std::vector<std::string>& tokens,
                                                    bool ack) {
  RIS_TRY(auto t, topic_of(access, topic));
  return settle_on(t, subscription, tokens, ack);
}

Result<std::vector<std::string>> Queues::settle_for_agent(const std::string& space_id,
                                                          std::string_view topic,
                                                          std::string_view subscription,
                                                          const std::vector<std::string>& tokens,
                                                          bool ack) {
  RIS_TRY(auto t, topic_for_agent(space_id, topic, "consume"));
  return settle_on(t, subscription, tokens, ack);
}

Result<std::vector<std::string>> Queues::settle_on(const Topic& t, std::string_view subscription,
                                                   const std::vector<std::string>& tokens,
                                                   bool ack) {
  if (tokens.size() > 1000)
    return bad("at most 1000 tokens at once");
  QueuesRepository repo(store_);
  RIS_TRY(auto s, repo.subscription(t.id, subscription));
  if (!s)
    return fail(Errc::not_found,
                fmt::format("no subscription \"{}\" of \"{}\"", subscription, t.name));
  std::vector<std::string> refused;
  if (t.backend == "jetstream") {
    RIS_TRY(auto log, jetstream_of(t));
    for (const auto& token : tokens)
      if (!JetStreamLog::well_formed(token))
        return bad(
            fmt::format("\"{}\" is not an ack token (what pull gave with the message)", token));
    return log->settle_all(t, *s, tokens, ack);
  }
  std::vector<std::pair<int64_t, int64_t>> deliveries;
  for (const auto& token : tokens) {
    RIS_TRY(auto d, parse_ack(token));
    deliveries.push_back(d);
  }
  const std::string now = now_rfc3339();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto [seq, n] = deliveries[i];
    RIS_TRY(bool done, ack ? repo.ack(s->id, seq, n, now) : repo.nack(s->id, seq, n, now));
    if (!done)
      refused.push_back(tokens[i]);
  }
  return refused;
}

Result<size_t> Queues::trim(SystemTime now, const cluster::Fence& fence) {
  return QueuesRepository(store_).trim(now, fence);
}

}  // namespace ris::queue
