// The Stream on NATS JetStream (cnats 3.4). One connection per Streams (the same options as
// the Bus, nats_connect.cpp) and one JetStream context on it; every call is a bounded request
// to the JetStream API. Consumers are durables this code created or updated itself; fetching
// from them is our own pull protocol on a plain subscription (see Pull), not cnats' fetch.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <mutex>

#include "nats_connect.hpp"
#include "ris/bus/stream.hpp"
#include "ris/core/log.hpp"

namespace ris::bus {

StreamMessage::StreamMessage() = default;
StreamMessage::StreamMessage(StreamMessage&&) noexcept = default;
StreamMessage& StreamMessage::operator=(StreamMessage&&) noexcept = default;
StreamMessage::~StreamMessage() = default;
StreamMessage::StreamMessage(std::unique_ptr<detail::Acknowledger> a)
    : acknowledger_(std::move(a)) {}

namespace {
Failure unanswerable() {
  return fail(Errc::invalid_argument, "stream message: not a fetched message");
}
}  // namespace

Result<void> StreamMessage::ack() {
  return acknowledger_ ? acknowledger_->ack() : unanswerable();
}
Result<void> StreamMessage::nak(std::chrono::milliseconds delay) {
  return acknowledger_ ? acknowledger_->nak(delay) : unanswerable();
}
Result<void> StreamMessage::term() {
  return acknowledger_ ? acknowledger_->term() : unanswerable();
}
Result<void> StreamMessage::in_progress() {
  return acknowledger_ ? acknowledger_->in_progress() : unanswerable();
}

namespace detail {
namespace {

constexpr int64_t kApiWaitMs = 5000;      // stream and consumer management, ack()
constexpr int64_t kAnswerFlushMs = 2000;  // nak(), term(), in_progress() reach the server
constexpr auto kRetiredGrace = std::chrono::seconds(5);
// "What is there?" (a no-wait pull request) is answered within milliseconds: the messages, then
// "404 No Messages" when there were fewer than asked. nats-server 2.9 leaves one unanswered when
// the only message left has used its last delivery; the bound ends the wait then. (With an
// expiry as well, 2.9 ignores no-wait and waits out the expiry.) An expiring request JetStream
// ends itself (408); the margin is for that answer's way back.
constexpr int64_t kNowBoundMs = 250;
constexpr int64_t kAnswerMarginMs = 1000;

int64_t to_nanos(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

bool valid_name(std::string_view n) {
  return !n.empty() && n.size() <= 200 && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Dot-separated tokens; '*' a whole token, '>' the whole last one. `wildcards`: patterns allowed.
bool valid_subject(std::string_view s, bool wildcards) {
  if (s.empty())
    return false;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string_view token =
        s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (token.empty())
      return false;
    for (char c : token)
      if (std::isspace(static_cast<unsigned char>(c)) ||
          std::iscntrl(static_cast<unsigned char>(c)))
        return false;
    if (token.find_first_of("*>") != std::string_view::npos) {
      if (!wildcards || token.size() != 1 || (token == ">" && dot != std::string_view::npos))
        return false;
    }
    if (dot == std::string_view::npos)
      return true;
    start = dot + 1;
  }
}

bool unreachable(natsStatus s) {
  return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || s == NATS_CONNECTION_CLOSED ||
         s == NATS_CONNECTION_DISCONNECTED || s == NATS_NO_SERVER || s == NATS_NOT_YET_CONNECTED ||
         s == NATS_INSUFFICIENT_BUFFER || s == NATS_STALE_CONNECTION;
}

Failure unavailable(std::string_view what, natsStatus s) {
  return fail(Errc::unavailable,
              fmt::format("{}: JetStream did not answer ({}): NATS is unreachable, JetStream is "
                          "not enabled, or no stream captures the subject",
                          what, natsStatus_GetText(s)));
}

struct Core {
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;  // this server's JetStream

  ~Core() {
    jsCtx_Destroy(js);
    for (auto& [name, ctx] : domains)
      jsCtx_Destroy(ctx);
    if (nc != nullptr) {
      natsConnection_Close(nc);
      for (auto& [when, sub] : retired)  // the read loop has stopped
        natsSubscription_Destroy(sub);
      natsConnection_Destroy(nc);
    }
    natsOptions_Destroy(opts);
  }

  jsOptions api_options(int64_t wait_ms = kApiWaitMs) const {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = wait_ms;
    return o;
  }

  // As in nats_bus.cpp: cnats 3.4's read loop may still hold a subscription it looked up just
  // before we unsubscribed it (nats.c issue 637), so it is destroyed after a grace period.
  void retire(natsSubscription* sub) {
    natsSubscription_Unsubscribe(sub);
    const auto now = std::chrono::steady_clock::now();
    std::vector<natsSubscription*> expired;
    {
      std::lock_guard g(retired_mu);
      retired.emplace_back(now, sub);
      while (!retired.empty() && now - retired.front().first > kRetiredGrace) {
        expired.push_back(retired.front().second);
        retired.pop_front();
      }
    }
    for (auto* s : expired)
      natsSubscription_Destroy(s);
  }

  // The JetStream of `domain` ("": this server's), reached through its API prefix.
  Result<jsCtx*> context(std::string_view domain) {
    if (domain.empty())
      return js;
    std::lock_guard g(domains_mu);
    for (auto& [name, ctx] : domains)
      if (name == domain)
        return ctx;
    const std::string name(domain);
    jsOptions o = api_options();
    o.Domain = name.c_str();
    jsCtx* ctx = nullptr;
    if (const natsStatus s = natsConnection_JetStream(&ctx, nc, &o); s != NATS_OK)
      return fail(Errc::internal, fmt::format("stream: no JetStream context for domain '{}': {}",
                                              name, nats_error_text(s)));
    domains.emplace_back(name, ctx);
    return ctx;
  }

  std::mutex retired_mu;
  std::deque<std::pair<std::chrono::steady_clock::time_point, natsSubscription*>> retired;
  std::mutex domains_mu;
  std::vector<std::pair<std::string, jsCtx*>> domains;
};

// A pull subscription of our own: a plain subscription on an inbox, and pull requests to the
// consumer's MSG.NEXT subject answered to "<inbox>.<request number>". cnats 3.4.1's own fetch
// is not used: when more than half a batch was already waiting from an earlier request, it
// stores messages past the end of its array (its loop compares the count with the batch it
// lowered by that count; fixed upstream after 3.4.1), which corrupted risd's heap under load.
// Lives as long as its Consumer.
struct Pull {
  std::shared_ptr<Core> core;
  natsSubscription* sub = nullptr;
  std::string name;          // "STREAM/durable", for messages
  std::string ack_prefix;    // "$JS.ACK.STREAM.durable.": what precedes a delivery's token
  std::string next_subject;  // "$JS[.domain].API.CONSUMER.MSG.NEXT.STREAM.durable"
  std::string inbox;         // replies come to "<inbox>.<n>"
  uint64_t requests = 0;     // the number of the last pull request
  ~Pull() {
    if (sub != nullptr)
      core->retire(sub);
  }
};

// Answers one delivery by publishing to its ack subject (what JetStream's clients do).
class NatsAcknowledger final : public Acknowledger {
 public:
  NatsAcknowledger(std::shared_ptr<Core> core, std::string name, std::string reply)
      : core_(std::move(core)), name_(std::move(name)), reply_(std::move(reply)) {}

  Result<void> ack() override {
    // Waits for JetStream's confirmation: an acknowledged message must not come back.
    natsMsg* confirmation = nullptr;
    const natsStatus s =
        natsConnection_RequestString(&confirmation, core_->nc, reply_.c_str(), "+ACK", kApiWaitMs);
    natsMsg_Destroy(confirmation);
    return answer("ack", s);
  }
  Result<void> nak(std::chrono::milliseconds delay) override {
    const std::string body =
        delay.count() > 0 ? fmt::format("-NAK {{\"delay\":{}}}", to_nanos(delay)) : "-NAK";
    return answer("nak", sent(body));
  }
  Result<void> term() override { return answer("term", sent("+TERM")); }
  Result<void> in_progress() override { return answer("in_progress", sent("+WPI")); }

 private:
  natsStatus sent(const std::string& body) {
    natsStatus s = natsConnection_PublishString(core_->nc, reply_.c_str(), body.c_str());
    if (s == NATS_OK)
      s = natsConnection_FlushTimeout(core_->nc, kAnswerFlushMs);
    return s;
  }

  Result<void> answer(std::string_view what, natsStatus s) {
    if (s == NATS_OK)
      return {};
    const std::string where = fmt::format("{} of a message of {}", what, name_);
    if (unreachable(s))
      return fail(Errc::unavailable,
                  fmt::format("{}: not confirmed by NATS ({}); it may be delivered again", where,
                              natsStatus_GetText(s)));
    return fail(Errc::conflict, fmt::format("{}: {}", where, nats_error_text(s)));
  }

  std::shared_ptr<Core> core_;
  std::string name_;
  std::string reply_;  // "$JS.ACK.…"
};

// The five numbers of a delivery token: delivered count, stream sequence, consumer sequence,
// timestamp (ns), pending. False when it is not such a token.
bool token_numbers(std::string_view token, uint64_t (&n)[5]) {
  size_t i = 0;
  for (size_t start = 0; i < 5; ++i) {
    const size_t dot = token.find('.', start);
    const std::string_view part =
        token.substr(start, dot == std::string_view::npos ? dot : dot - start);
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n[i]);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size())
      return false;
    if (dot == std::string_view::npos)
      return i == 4;
    start = dot + 1;
  }
  return false;
}

// The expiry JetStream is asked for: a little shorter than ours, as cnats does, so that its
// "408" comes before we stop waiting. (nats-server 2.9 can count a redelivery that falls on
// the instant a request expires without sending it or the 408; the message then comes back
// after ack_wait.)
int64_t server_expiry(std::chrono::milliseconds wait) {
  using namespace std::chrono_literals;
  return to_nanos(wait >= 20ms ? wait - 10ms : wait);
}

class NatsConsumer final : public Consumer {
 public:
  explicit NatsConsumer(std::shared_ptr<Pull> pull) : pull_(std::move(pull)) {}

  Result<std::vector<StreamMessage>> fetch(int max, std::chrono::milliseconds timeout) override {
    if (max < 1)
      return fail(Errc::invalid_argument, "fetch: max must be at least 1");
    std::vector<StreamMessage> out;
    // First what earlier requests brought after they ended (they are deliveries like any).
    RIS_TRY_VOID(take(out, max, 0, 0));
    if (static_cast<int>(out.size()) >= max)
      return out;
    // Then what is there now: JetStream answers at once, with messages and, when it had fewer
    // than asked, "404 No Messages" or "408".
    RIS_TRY(bool ended, ask(out, max, std::chrono::milliseconds(0)));
    if (!out.empty() || timeout.count() <= 0)
      return settled(std::move(out), ended);
    // Nothing there: wait for the first ones to arrive.
    RIS_TRY(ended, ask(out, max, timeout));
    return settled(std::move(out), ended);
  }

 private:
  // One pull request for what `out` lacks of `max`; collects its answer. True when JetStream
  // ended it (batch filled or a status came), false when our bound passed first.
  Result<bool> ask(std::vector<StreamMessage>& out, int max, std::chrono::milliseconds wait) {
    const uint64_t id = ++pull_->requests;
    const std::string reply = fmt::format("{}.{}", pull_->inbox, id);
    const int batch = max - static_cast<int>(out.size());
    const std::string request =
        wait.count() > 0
            ? fmt::format("{{\"batch\":{},\"expires\":{}}}", batch, server_expiry(wait))
            : fmt::format("{{\"batch\":{},\"no_wait\":true}}", batch);
    if (const natsStatus s = natsConnection_PublishRequestString(
            pull_->core->nc, pull_->next_subject.c_str(), reply.c_str(), request.c_str());
        s != NATS_OK)
      return unavailable_now(s);
    // JetStream ends an expiring request itself (408); the margin covers its way back.
    const int64_t bound_ms = wait.count() > 0 ? wait.count() + kAnswerMarginMs : kNowBoundMs;
    return take(out, max, id, bound_ms);
  }

  // Takes arrived messages into `out` until it holds `max`, the status of request `id` came
  // (true), or `bound_ms` passed (0: only what is queued already).
  Result<bool> take(std::vector<StreamMessage>& out, int max, uint64_t id, int64_t bound_ms) {
    const int64_t deadline = nats_Now() + bound_ms;
    while (static_cast<int>(out.size()) < max) {
      const int64_t left = deadline - nats_Now();
      natsMsg* m = nullptr;
      const natsStatus s = natsSubscription_NextMsg(&m, pull_->sub, std::max<int64_t>(left, 0));
      if (s == NATS_TIMEOUT)
        return false;
      if (s == NATS_NO_RESPONDERS)
        return fail(
            Errc::unavailable,
            fmt::format("fetch from {}: JetStream did not answer (no responders)", pull_->name));
      if (s != NATS_OK)
        return unavailable_now(s);
      std::unique_ptr<natsMsg, void (*)(natsMsg*)> msg(m, natsMsg_Destroy);
      const std::string_view subject = natsMsg_GetSubject(m);
      if (subject.starts_with(pull_->inbox)) {
        // A status for one of our requests; only the current one's matters.
        if (subject != fmt::format("{}.{}", pull_->inbox, id))
          continue;
        const char* status = nullptr;
        const char* description = nullptr;
        natsMsgHeader_Get(m, "Status", &status);
        natsMsgHeader_Get(m, "Description", &description);
        const std::string_view code = status != nullptr ? status : "";
        if (code == "404" || code == "408" || (code == "409" && !out.empty()))
          return true;
        // Unanswered no-wait requests (above) wait at the server until a message comes; when
        // 512 of them do, new ones are refused. Their messages come here all the same and are
        // taken first by the next fetch.
        if (code == "409" && description != nullptr &&
            std::string_view(description).find("MaxWaiting") != std::string_view::npos)
          return true;
        if (code == "100")  // an idle heartbeat: not asked for, harmless
          continue;
        return fail(Errc::unavailable,
                    fmt::format("fetch from {}: JetStream answered {} {}", pull_->name, code,
                                description != nullptr ? description : ""));
      }
      out.push_back(delivery(m));
    }
    return true;
  }

  StreamMessage delivery(natsMsg* m) {
    const char* reply = natsMsg_GetReply(m);
    const std::string_view r = reply != nullptr ? reply : "";
    StreamMessage sm(std::make_unique<NatsAcknowledger>(pull_->core, pull_->name, std::string(r)));
    sm.subject = natsMsg_GetSubject(m);
    sm.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    sm.delivered = std::chrono::system_clock::now();
    uint64_t n[5] = {};
    if (r.starts_with(pull_->ack_prefix) && token_numbers(r.substr(pull_->ack_prefix.size()), n)) {
      sm.token = std::string(r.substr(pull_->ack_prefix.size()));
      sm.deliveries = n[0];
      sm.sequence = n[1];
      sm.published = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(n[3])));
    }
    return sm;
  }

  // What came, or, when nothing came and JetStream never answered, why.
  Result<std::vector<StreamMessage>> settled(std::vector<StreamMessage> out, bool ended) {
    if (!out.empty() || ended ||
        natsConnection_Status(pull_->core->nc) == NATS_CONN_STATUS_CONNECTED)
      return out;
    return unavailable_now(NATS_CONNECTION_DISCONNECTED);
  }

  Failure unavailable_now(natsStatus s) {
    return fail(Errc::unavailable, fmt::format("fetch from {}: NATS is unreachable ({})",
                                               pull_->name, natsStatus_GetText(s)));
  }

  std::shared_ptr<Pull> pull_;
};

Result<void> check_stream_config(const StreamConfig& c) {
  const auto bad = [&](std::string m) {
    return fail(Errc::invalid_argument, fmt::format("stream '{}': {}", c.name, m));
  };
  if (!valid_name(c.name))
    return fail(Errc::invalid_argument,
                fmt::format("stream name '{}': use 1 to 200 letters, digits, '-' or '_'", c.name));
  if (c.mirror_of.empty() && c.subjects.empty())
    return bad("give at least one subject");
  if (!c.mirror_of.empty() && !c.subjects.empty())
    return bad("a mirror has no subjects of its own");
  if (!c.mirror_of.empty() && !valid_name(c.mirror_of))
    return bad(fmt::format("mirror of '{}': not a stream name", c.mirror_of));
  if (c.max_msgs == 0 || c.max_msgs < -1)
    return bad("max_msgs must be positive, or -1 for no limit");
  for (const auto& s : c.subjects)
    if (!valid_subject(s, true))
      return bad(
          fmt::format("'{}' is not a subject or pattern (dot-separated tokens, '*' for "
                      "one token, '>' as the last)",
                      s));
  if (c.max_age.count() < 0)
    return bad("max_age must not be negative (0: no limit)");
  if (c.max_bytes == 0 || c.max_bytes < -1)
    return bad("max_bytes must be positive, or -1 for no limit");
  if (c.replicas < 1 || c.replicas > 5)
    return bad(fmt::format("replicas must be from 1 to 5, not {}", c.replicas));
  if (c.duplicate_window.count() <= 0)
    return bad("duplicate_window must be positive");
  return {};
}

Result<void> check_consumer_config(const ConsumerConfig& c) {
  const auto bad = [&](std::string m) {
    return fail(Errc::invalid_argument,
                fmt::format("consumer '{}' of stream '{}': {}", c.durable, c.stream, m));
  };
  if (!valid_name(c.stream))
    return bad("the stream name is not valid (letters, digits, '-' or '_')");
  if (!valid_name(c.durable))
    return bad("the durable name is not valid (1 to 200 letters, digits, '-' or '_')");
  if (!c.filter_subject.empty() && !valid_subject(c.filter_subject, true))
    return bad(fmt::format("'{}' is not a subject or pattern", c.filter_subject));
  if (c.ack_wait.count() <= 0)
    return bad("ack_wait must be positive");
  if (c.max_deliver == 0 || c.max_deliver < -1)
    return bad("max_deliver must be positive, or -1 for no limit");
  if (c.deliver == DeliverFrom::sequence && c.start_sequence == 0)
    return bad("start_sequence starts at 1");
  return {};
}

int64_t unix_nanos(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// A delivery token: the five numbers of its ack subject (delivered count, stream and consumer
// sequences, timestamp, pending).
bool valid_token(std::string_view t) {
  int dots = 0;
  bool digit = false;
  for (char c : t) {
    if (c == '.') {
      if (!digit)
        return false;
      ++dots;
      digit = false;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      return false;
    }
  }
  return digit && dots == 4 && t.size() <= 120;
}

// The JetStream API's answer to a management request, as an error.
Failure management_error(std::string_view what, natsStatus s, jsErrCode ec, bool updating) {
  if (ec == JSNotEnabledErr || ec == JSNotEnabledForAccountErr)
    return fail(Errc::unavailable,
                fmt::format("{}: JetStream is not enabled on the NATS server", what));
  if (ec == 0 && unreachable(s))
    return unavailable(what, s);
  const std::string text = nats_error_text(s);
  switch (ec) {
    case JSStreamSubjectOverlapErr:
    case JSStreamNameExistErr:
    case JSConsumerNameExistErr:
    case JSStreamReplicasNotUpdatableErr:
    case JSStreamMirrorNotUpdatableErr:
      return fail(Errc::conflict, fmt::format("{}: {}", what, text));
    case JSStreamReplicasNotSupportedErr:
      return fail(Errc::invalid_argument, fmt::format("{}: {}", what, text));
    default:
      break;
  }
  // What an existing stream or consumer refuses to change into is a clash with what exists.
  return fail(
      updating ? Errc::conflict : Errc::invalid_argument,
      fmt::format("{}: {}{}", what, updating ? "cannot change the existing one: " : "", text));
}

class NatsStreams final : public Streams {
 public:
  explicit NatsStreams(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<void> ensure(const StreamConfig& c) override {
    RIS_TRY_VOID(check_stream_config(c));
    std::vector<const char*> subjects;
    for (const auto& s : c.subjects)
      subjects.push_back(s.c_str());
    RIS_TRY(jsCtx * js, core_->context(c.domain));
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = c.name.c_str();
    cfg.Subjects = subjects.empty() ? nullptr : subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Retention = js_LimitsPolicy;
    cfg.MaxAge = to_nanos(c.max_age);
    cfg.MaxBytes = c.max_bytes;
    cfg.MaxMsgs = c.max_msgs;
    jsStreamSource mirror;
    jsExternalStream external;
    const std::string mirror_api = fmt::format("$JS.{}.API", c.mirror_domain);
    if (!c.mirror_of.empty()) {
      jsStreamSource_Init(&mirror);
      mirror.Name = c.mirror_of.c_str();
      if (!c.mirror_domain.empty()) {
        jsExternalStream_Init(&external);
        external.APIPrefix = mirror_api.c_str();
        external.DeliverPrefix = "";  // cnats 3.4 writes it unconditionally (NULL would crash)
        mirror.External = &external;
      }
      cfg.Mirror = &mirror;
    }
    cfg.Replicas = c.replicas;
    cfg.Storage = c.storage == StreamStorage::file ? js_FileStorage : js_MemoryStorage;
    // The server wants the window within max_age.
    cfg.Duplicates = to_nanos(c.max_age.count() > 0 ? std::min(c.duplicate_window, c.max_age)
                                                    : c.duplicate_window);
    const std::string what = fmt::format("stream '{}'", c.name);
    jsOptions o = core_->api_options();
    jsStreamInfo* si = nullptr;
    jsErrCode ec = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, js, c.name.c_str(), &o, &ec);
    const bool exists = s == NATS_OK;
    jsStreamInfo_Destroy(si);
    si = nullptr;
    if (!exists && s != NATS_NOT_FOUND && ec != JSStreamNotFoundErr)
      return management_error(what, s, ec, false);
    ec = static_cast<jsErrCode>(0);
    s = exists ? js_UpdateStream(&si, js, &cfg, &o, &ec) : js_AddStream(&si, js, &cfg, &o, &ec);
    jsStreamInfo_Destroy(si);
    if (s != NATS_OK)
      return management_error(what, s, ec, exists);
    return {};
  }

  Result<uint64_t> publish(std::string_view subject, std::string_view data, std::string_view msg_id,
                           std::chrono::milliseconds timeout, bool* duplicate) override {
    const std::string subj(subject), id(msg_id);
    if (!valid_subject(subj, false))
      return fail(Errc::invalid_argument,
                  fmt::format("stream publish: '{}' is not a subject (no wildcards)", subj));
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = std::max<int64_t>(timeout.count(), 1);
    if (!id.empty())
      po.MsgId = id.c_str();
    jsPubAck* pa = nullptr;
    jsErrCode ec = static_cast<jsErrCode>(0);
    const natsStatus s = js_Publish(&pa, core_->js, subj.c_str(), data.data(),
                                    static_cast<int>(data.size()), &po, &ec);
    if (s == NATS_OK) {
      const uint64_t seq = pa->Sequence;
      if (duplicate != nullptr)
        *duplicate = pa->Duplicate;
      jsPubAck_Destroy(pa);
      return seq;
    }
    jsPubAck_Destroy(pa);
    const std::string what = fmt::format("stream publish to '{}'", subj);
    if (s == NATS_MAX_PAYLOAD || ec == JSStreamMessageExceedsMaximumErr)
      return fail(Errc::too_large,
                  fmt::format("{}: {} bytes is over the limit", what, data.size()));
    // Nobody answered: cnats says "JetStream not enabled" (and "stream not found"); JetStream
    // answering an account request tells that no stream captures the subject.
    if (s == NATS_NO_RESPONDERS && jetstream_answers())
      ec = JSStreamNotFoundErr;
    if (ec == JSStreamNotFoundErr)
      return fail(
          Errc::not_found,
          fmt::format("{}: no stream captures this subject (ensure() its stream first)", what));
    if (unreachable(s))
      return unavailable(what, s);
    return fail(Errc::unavailable, fmt::format("{}: not stored: {}", what, nats_error_text(s)));
  }

  Result<std::unique_ptr<Consumer>> consumer(const ConsumerConfig& c) override {
    RIS_TRY_VOID(check_consumer_config(c));
    const std::string what = fmt::format("consumer '{}' of stream '{}'", c.durable, c.stream);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = c.durable.c_str();
    cc.AckPolicy = js_AckExplicit;
    switch (c.deliver) {
      case DeliverFrom::all:
        cc.DeliverPolicy = js_DeliverAll;
        break;
      case DeliverFrom::new_only:
        cc.DeliverPolicy = js_DeliverNew;
        break;
      case DeliverFrom::sequence:
        cc.DeliverPolicy = js_DeliverByStartSequence;
        cc.OptStartSeq = c.start_sequence;
        break;
      case DeliverFrom::time:
        cc.DeliverPolicy = js_DeliverByStartTime;
        cc.OptStartTime = unix_nanos(c.start_time);
        break;
    }
    cc.AckWait = to_nanos(c.ack_wait);
    cc.MaxDeliver = c.max_deliver;
    if (!c.filter_subject.empty())
      cc.FilterSubject = c.filter_subject.c_str();
    RIS_TRY(jsCtx * js, core_->context(c.domain));
    jsOptions o = core_->api_options();
    jsConsumerInfo* ci = nullptr;
    jsErrCode ec = static_cast<jsErrCode>(0);
    natsStatus s = js_GetConsumerInfo(&ci, js, c.stream.c_str(), c.durable.c_str(), &o, &ec);
    const bool exists = s == NATS_OK;
    if (!exists) {
      jsConsumerInfo_Destroy(ci);
      ci = nullptr;
    }
    if (!exists && ec == JSStreamNotFoundErr)
      return fail(Errc::not_found, fmt::format("{}: no such stream", what));
    if (!exists && s != NATS_NOT_FOUND && ec != JSConsumerNotFoundErr)
      return management_error(what, s, ec, false);
    ec = static_cast<jsErrCode>(0);
    // An existing durable keeps where it is: JetStream refuses to change its start.
    if (exists) {
      cc.DeliverPolicy = ci != nullptr ? ci->Config->DeliverPolicy : cc.DeliverPolicy;
      cc.OptStartSeq = ci != nullptr ? ci->Config->OptStartSeq : cc.OptStartSeq;
      cc.OptStartTime = ci != nullptr ? ci->Config->OptStartTime : cc.OptStartTime;
    }
    jsConsumerInfo* updated = nullptr;
    s = exists ? js_UpdateConsumer(&updated, js, c.stream.c_str(), &cc, &o, &ec)
               : js_AddConsumer(&updated, js, c.stream.c_str(), &cc, &o, &ec);
    jsConsumerInfo_Destroy(updated);
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK)
      return management_error(what, s, ec, exists);

    auto pull = std::make_shared<Pull>();
    pull->core = core_;
    pull->name = fmt::format("{}/{}", c.stream, c.durable);
    pull->ack_prefix = fmt::format("$JS.ACK.{}.{}.", c.stream, c.durable);
    pull->next_subject =
        fmt::format("{}.CONSUMER.MSG.NEXT.{}.{}",
                    c.domain.empty() ? std::string("$JS.API") : fmt::format("$JS.{}.API", c.domain),
                    c.stream, c.durable);
    char* inbox = nullptr;
    if (s = natsInbox_Create(&inbox); s != NATS_OK)
      return fail(Errc::internal, fmt::format("{}: no inbox: {}", what, natsStatus_GetText(s)));
    pull->inbox = inbox;
    natsInbox_Destroy(inbox);
    const std::string replies = pull->inbox + ".*";
    if (s = natsConnection_SubscribeSync(&pull->sub, core_->nc, replies.c_str()); s != NATS_OK) {
      pull->sub = nullptr;
      return fail(Errc::unavailable, fmt::format("{}: cannot subscribe to its deliveries ({})",
                                                 what, natsStatus_GetText(s)));
    }
    return std::unique_ptr<Consumer>(std::make_unique<NatsConsumer>(std::move(pull)));
  }

  Result<void> answer(const Delivery& d, Answer a, std::string_view domain) override {
    (void)domain;  // acks are plain subjects: they cross leaf links to the consumer's domain
    if (!valid_name(d.stream) || !valid_name(d.durable) || !valid_token(d.token))
      return fail(Errc::invalid_argument,
                  fmt::format("'{}' is not a delivery of {}/{}", d.token, d.stream, d.durable));
    const std::string subject = fmt::format("$JS.ACK.{}.{}.{}", d.stream, d.durable, d.token);
    const std::string_view body = a == Answer::ack ? "+ACK" : a == Answer::nak ? "-NAK" : "+TERM";
    natsMsg* reply = nullptr;
    const natsStatus s = natsConnection_Request(&reply, core_->nc, subject.c_str(), body.data(),
                                                static_cast<int>(body.size()), kApiWaitMs);
    natsMsg_Destroy(reply);
    if (s == NATS_OK)
      return {};
    return fail(Errc::unavailable,
                fmt::format("answer to {}/{} delivery {}: not confirmed ({}); it may be "
                            "delivered again",
                            d.stream, d.durable, d.token, natsStatus_GetText(s)));
  }

  Result<void> answer_all(const std::vector<Delivery>& deliveries, Answer a) override {
    if (deliveries.empty())
      return {};
    for (const auto& d : deliveries)
      if (!valid_name(d.stream) || !valid_name(d.durable) || !valid_token(d.token))
        return fail(Errc::invalid_argument,
                    fmt::format("'{}' is not a delivery of {}/{}", d.token, d.stream, d.durable));
    const std::string_view body = a == Answer::ack ? "+ACK" : a == Answer::nak ? "-NAK" : "+TERM";
    for (size_t i = 0; i + 1 < deliveries.size(); ++i) {
      const auto& d = deliveries[i];
      const std::string subject = fmt::format("$JS.ACK.{}.{}.{}", d.stream, d.durable, d.token);
      if (const natsStatus s = natsConnection_Publish(core_->nc, subject.c_str(), body.data(),
                                                      static_cast<int>(body.size()));
          s != NATS_OK)
        return fail(Errc::unavailable, fmt::format("answers to {}/{}: not sent ({})", d.stream,
                                                   d.durable, natsStatus_GetText(s)));
    }
    return answer(deliveries.back(), a, {});
  }

  Result<void> remove_stream(std::string_view name, std::string_view domain) override {
    RIS_TRY(jsCtx * js, core_->context(domain));
    const std::string n(name);
    jsOptions o = core_->api_options();
    jsErrCode ec = static_cast<jsErrCode>(0);
    const natsStatus s = js_DeleteStream(js, n.c_str(), &o, &ec);
    if (s == NATS_OK || ec == JSStreamNotFoundErr || s == NATS_NOT_FOUND)
      return {};
    return management_error(fmt::format("removing stream '{}'", n), s, ec, false);
  }

  Result<void> remove_consumer(std::string_view stream, std::string_view durable,
                               std::string_view domain) override {
    RIS_TRY(jsCtx * js, core_->context(domain));
    const std::string st(stream), du(durable);
    jsOptions o = core_->api_options();
    jsErrCode ec = static_cast<jsErrCode>(0);
    const natsStatus s = js_DeleteConsumer(js, st.c_str(), du.c_str(), &o, &ec);
    if (s == NATS_OK || ec == JSStreamNotFoundErr || ec == JSConsumerNotFoundErr ||
        s == NATS_NOT_FOUND)
      return {};
    return management_error(fmt::format("removing consumer '{}' of '{}'", du, st), s, ec, false);
  }

  Result<uint64_t> delivered(std::string_view stream, std::string_view durable,
                             std::string_view domain) override {
    RIS_TRY(jsCtx * js, core_->context(domain));
    const std::string st(stream), du(durable);
    jsOptions o = core_->api_options();
    jsConsumerInfo* ci = nullptr;
    jsErrCode ec = static_cast<jsErrCode>(0);
    const natsStatus s = js_GetConsumerInfo(&ci, js, st.c_str(), du.c_str(), &o, &ec);
    if (s != NATS_OK) {
      jsConsumerInfo_Destroy(ci);
      if (ec == JSStreamNotFoundErr || ec == JSConsumerNotFoundErr || s == NATS_NOT_FOUND)
        return fail(Errc::not_found, fmt::format("no consumer '{}' of '{}'", du, st));
      return management_error(fmt::format("consumer '{}' of '{}'", du, st), s, ec, false);
    }
    const uint64_t seq = ci->Delivered.Stream;
    jsConsumerInfo_Destroy(ci);
    return seq;
  }

  Result<std::string> local_domain() override {
    jsOptions o = core_->api_options();
    jsAccountInfo* ai = nullptr;
    jsErrCode ec = static_cast<jsErrCode>(0);
    const natsStatus s = js_GetAccountInfo(&ai, core_->js, &o, &ec);
    if (s != NATS_OK) {
      jsAccountInfo_Destroy(ai);
      return management_error("JetStream account", s, ec, false);
    }
    std::string domain = ai->Domain != nullptr ? ai->Domain : "";
    jsAccountInfo_Destroy(ai);
    return domain;
  }

  bool connected() const override {
    return natsConnection_Status(core_->nc) == NATS_CONN_STATUS_CONNECTED;
  }

 private:
  bool jetstream_answers() {
    jsOptions o = core_->api_options();
    jsAccountInfo* ai = nullptr;
    const natsStatus s = js_GetAccountInfo(&ai, core_->js, &o, nullptr);
    jsAccountInfo_Destroy(ai);
    return s == NATS_OK;
  }

  std::shared_ptr<Core> core_;
};

}  // namespace
}  // namespace detail

Result<std::unique_ptr<Streams>> open_streams(std::string_view url) {
  if (url.find_first_not_of(" \t") == std::string_view::npos)
    return fail(Errc::invalid_argument,
                "stream: a NATS URL is needed (there is no in-process Stream)");
  static constexpr detail::NatsComponent kStream{"stream", "risd-stream"};
  auto core = std::make_shared<detail::Core>();
  if (auto r = detail::connect_nats(url, &kStream, core->opts, core->nc); !r) {
    core->nc = nullptr;
    return fail(r.error());
  }
  jsOptions o = core->api_options();
  if (const natsStatus s = natsConnection_JetStream(&core->js, core->nc, &o); s != NATS_OK)
    return fail(Errc::internal, fmt::format("stream: cannot create a JetStream context: {}",
                                            detail::nats_error_text(s)));
  return std::unique_ptr<Streams>(std::make_unique<detail::NatsStreams>(std::move(core)));
}

}  // namespace ris::bus
