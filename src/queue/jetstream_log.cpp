#include "jetstream_log.hpp"

#include <fmt/format.h>

#include <charconv>

#include "ris/core/base64.hpp"
#include "ris/core/time.hpp"

namespace ris::queue {
namespace {

// Publishers retrying with the same idempotency key are recognised for this long (JetStream
// keeps each key in memory for the window; the store-backed topics keep keys as long as their
// messages).
constexpr auto kDuplicateWindow = std::chrono::minutes(10);

std::string stream_of(const Topic& t) {
  return "RISQ_" + t.id;
}
// A message's subject carries its content type (base64url, one token): no NATS headers, which
// cnats 3.4 corrupts its heap parsing under load (seen in the three-server benchmark).
std::string subject_of(const Topic& t, std::string_view content_type) {
  return "risq." + t.id + "." + base64url_encode(content_type);
}
std::string subjects_of(const Topic& t) {
  return "risq." + t.id + ".*";
}
std::string content_type_of(const std::string& subject) {
  const auto dot = subject.rfind('.');
  auto type = base64url_decode(std::string_view(subject).substr(dot + 1));
  return type && !type->empty() ? *type : "application/octet-stream";
}
std::string durable_of(const Subscription& s) {
  return "RISQ_" + s.id;
}

bus::StreamConfig stream_config(const Topic& t) {
  bus::StreamConfig c;
  c.name = stream_of(t);
  c.max_age = std::chrono::seconds(t.retention_seconds);
  c.max_msgs = t.retention_messages;
  c.duplicate_window = std::min<std::chrono::milliseconds>(
      kDuplicateWindow, std::chrono::seconds(t.retention_seconds));
  c.domain = t.home_domain;
  return c;
}

bus::ConsumerConfig consumer_config(const Topic& t, const Subscription& s) {
  bus::ConsumerConfig c;
  c.stream = stream_of(t);
  c.durable = durable_of(s);
  c.ack_wait = std::chrono::seconds(t.ack_deadline_seconds);
  // One delivery more than the topic allows: that one goes to the dead letters.
  c.max_deliver = static_cast<int>(t.max_deliveries) + 1;
  c.domain = s.domain;
  return c;
}

int64_t unix_ms(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

Result<std::string> JetStreamLog::domain() {
  {
    std::lock_guard g(mu_);
    if (domain_)
      return *domain_;
  }
  RIS_TRY(auto d, streams_.local_domain());
  std::lock_guard g(mu_);
  domain_ = d;
  return d;
}

Result<void> JetStreamLog::create(const Topic& t) {
  auto config = stream_config(t);
  config.subjects = {subjects_of(t)};
  return streams_.ensure(config);
}

Result<void> JetStreamLog::remove(const Topic& t, const std::vector<Subscription>& subscriptions) {
  for (const auto& s : subscriptions) {
    drop(s);
    if (s.domain != t.home_domain)
      RIS_TRY_VOID(streams_.remove_stream(stream_of(t), s.domain));
  }
  return streams_.remove_stream(stream_of(t), t.home_domain);
}

Result<Published> JetStreamLog::publish(const Topic& t, const std::string& body,
                                        const std::string& content_type,
                                        const std::optional<std::string>& idempotency_key) {
  bool duplicate = false;
  auto seq = streams_.publish(subject_of(t, content_type), body, idempotency_key.value_or(""),
                              std::chrono::seconds(5), &duplicate);
  if (!seq && (seq.error().code == Errc::not_found || seq.error().code == Errc::unavailable))
    // Its stream is in another LAN's JetStream when home_domain is not ours: say so.
    return fail(Errc::unavailable,
                fmt::format("topic \"{}\": its stream{} did not take the message ({}); retry "
                            "with the same Idempotency-Key",
                            t.name,
                            t.home_domain.empty()
                                ? std::string()
                                : fmt::format(" (JetStream domain \"{}\": is the link to that "
                                              "LAN up?)",
                                              t.home_domain),
                            seq.error().message));
  if (!seq)
    return fail(seq.error());
  return Published{static_cast<int64_t>(*seq), duplicate};
}

Result<void> JetStreamLog::subscribe(const Topic& t, const Subscription& s, const Start& start) {
  if (s.domain != t.home_domain) {
    // This LAN reads its own copy of the topic.
    auto mirror = stream_config(t);
    mirror.domain = s.domain;
    mirror.mirror_of = stream_of(t);
    mirror.mirror_domain = t.home_domain;
    RIS_TRY_VOID(streams_.ensure(mirror));
  }
  auto config = consumer_config(t, s);
  switch (start.kind) {
    case Start::new_only:
      config.deliver = bus::DeliverFrom::new_only;
      break;
    case Start::all:
      config.deliver = bus::DeliverFrom::all;
      break;
    case Start::sequence:
      config.deliver = bus::DeliverFrom::sequence;
      config.start_sequence = static_cast<uint64_t>(start.seq);
      break;
    case Start::time:
      config.deliver = bus::DeliverFrom::time;
      config.start_time = start.at;
      break;
  }
  RIS_TRY(auto consumer, streams_.consumer(config));
  auto slot = std::make_shared<Slot>();
  slot->consumer = std::move(consumer);
  std::lock_guard g(mu_);
  slots_[s.id] = std::move(slot);
  return {};
}

Result<std::shared_ptr<JetStreamLog::Slot>> JetStreamLog::slot(const Topic& t,
                                                               const Subscription& s) {
  {
    std::lock_guard g(mu_);
    if (auto it = slots_.find(s.id); it != slots_.end())
      return it->second;
  }
  // Made on another server, or dropped after an error: open the durable (it keeps its place).
  RIS_TRY(auto consumer, streams_.consumer(consumer_config(t, s)));
  auto made = std::make_shared<Slot>();
  made->consumer = std::move(consumer);
  std::lock_guard g(mu_);
  auto [it, inserted] = slots_.emplace(s.id, made);
  return it->second;
}

void JetStreamLog::drop(const Subscription& s) {
  std::lock_guard g(mu_);
  slots_.erase(s.id);
}

Result<std::vector<Message>> JetStreamLog::pull(
    const Topic& t, const Subscription& s, int max,
    const std::function<Result<void>(const Message&)>& dead_letter) {
  RIS_TRY(auto slot, slot(t, s));
  std::vector<bus::StreamMessage> fetched;
  {
    std::lock_guard g(slot->mu);
    auto r = slot->consumer->fetch(max, std::chrono::milliseconds(0));
    if (!r) {
      drop(s);  // opened again on the next pull
      return fail(r.error());
    }
    fetched = std::move(*r);
  }
  std::vector<Message> out;
  for (auto& sm : fetched) {
    Message m;
    m.seq = static_cast<int64_t>(sm.sequence);
    m.body = std::move(sm.data);
    m.content_type = content_type_of(sm.subject);
    m.published_at = to_rfc3339(sm.published);
    m.deliveries = static_cast<int64_t>(sm.deliveries);
    m.ack = fmt::format("{}.{}", unix_ms(sm.delivered), sm.token);
    if (m.deliveries > t.max_deliveries) {
      // Delivered max_deliveries times and never acked.
      RIS_TRY_VOID(dead_letter(m));
      RIS_TRY_VOID(sm.term());
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

bool JetStreamLog::well_formed(std::string_view token) {
  // "<ms>.<n>.<n>.<n>.<n>.<n>"
  int numbers = 0;
  bool digit = false;
  for (char c : token) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && digit) {
      ++numbers;
      digit = false;
    } else {
      return false;
    }
  }
  return digit && numbers == 5 && token.size() <= 140;
}

Result<std::vector<std::string>> JetStreamLog::settle_all(const Topic& t, const Subscription& s,
                                                          const std::vector<std::string>& tokens,
                                                          bool ack) {
  std::vector<std::string> refused;
  std::vector<bus::Delivery> due;
  const int64_t now = unix_ms(std::chrono::system_clock::now());
  for (const auto& token : tokens) {
    if (!well_formed(token))
      return fail(Errc::invalid_argument, "an ack token is what pull gave with the message");
    int64_t delivered_ms = 0;
    const auto dot = token.find('.');
    std::from_chars(token.data(), token.data() + dot, delivered_ms);
    if (now >= delivered_ms + t.ack_deadline_seconds * 1000)
      refused.push_back(token);
    else
      due.push_back({stream_of(t), durable_of(s), token.substr(dot + 1)});
  }
  RIS_TRY_VOID(streams_.answer_all(due, ack ? bus::Answer::ack : bus::Answer::nak));
  return refused;
}

Result<int64_t> JetStreamLog::next_seq(const Topic& t, const Subscription& s) {
  RIS_TRY(uint64_t delivered, streams_.delivered(stream_of(t), durable_of(s), s.domain));
  return static_cast<int64_t>(delivered) + 1;
}

}  // namespace ris::queue
