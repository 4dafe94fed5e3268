// The Stream on NATS JetStream (cnats 3.4). One connection per Streams (the same options as
// the Bus, nats_connect.cpp) and one JetStream context on it; every call is a bounded request
// to the JetStream API. Pull consumers are bound to a durable this code created or updated
// itself, so closing one never deletes the durable (cnats deletes consumers it created).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
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
constexpr int64_t kNowMs = 20;  // fetch(…, 0): the server's answer to "what is there?"

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

// A pull subscription; lives as long as its Consumer or any message fetched through it.
struct Pull {
  std::shared_ptr<Core> core;
  natsSubscription* sub = nullptr;
  std::string name;        // "STREAM/durable", for messages
  std::string ack_prefix;  // "$JS.ACK.STREAM.durable.": what precedes a delivery's token
  ~Pull() {
    if (sub != nullptr)
      core->retire(sub);
  }
};

class NatsAcknowledger final : public Acknowledger {
 public:
  NatsAcknowledger(std::shared_ptr<Pull> pull, natsMsg* msg) : pull_(std::move(pull)), msg_(msg) {}
  ~NatsAcknowledger() override { natsMsg_Destroy(msg_); }

  Result<void> ack() override {
    jsOptions o = pull_->core->api_options();
    jsErrCode ec = static_cast<jsErrCode>(0);
    return answer("ack", natsMsg_AckSync(msg_, &o, &ec), false);
  }
  Result<void> nak(std::chrono::milliseconds delay) override {
    return answer("nak",
                  delay.count() > 0 ? natsMsg_NakWithDelay(msg_, delay.count(), nullptr)
                                    : natsMsg_Nak(msg_, nullptr),
                  true);
  }
  Result<void> term() override { return answer("term", natsMsg_Term(msg_, nullptr), true); }
  Result<void> in_progress() override {
    return answer("in_progress", natsMsg_InProgress(msg_, nullptr), true);
  }

 private:
  Result<void> answer(std::string_view what, natsStatus s, bool flush) {
    if (s == NATS_OK && flush)
      s = natsConnection_FlushTimeout(pull_->core->nc, kAnswerFlushMs);
    if (s == NATS_OK)
      return {};
    const std::string where =
        fmt::format("{} of message {} of {}", what, natsMsg_GetSequence(msg_), pull_->name);
    if (unreachable(s))
      return fail(Errc::unavailable,
                  fmt::format("{}: not confirmed by NATS ({}); it may be delivered again", where,
                              natsStatus_GetText(s)));
    return fail(Errc::conflict, fmt::format("{}: {}", where, nats_error_text(s)));
  }

  std::shared_ptr<Pull> pull_;
  natsMsg* msg_;
};

class NatsConsumer final : public Consumer {
 public:
  explicit NatsConsumer(std::shared_ptr<Pull> pull) : pull_(std::move(pull)) {}

  Result<std::vector<StreamMessage>> fetch(int max, std::chrono::milliseconds timeout) override {
    if (max < 1)
      return fail(Errc::invalid_argument, "fetch: max must be at least 1");
    natsMsgList list{};
    jsErrCode ec = static_cast<jsErrCode>(0);
    // cnats asks without waiting first and returns at once what is there; only when nothing
    // is there does it wait (up to the timeout) for the first message. "Now" still needs the
    // server's answer: a moment's bound for it (cnats 3.4's own no-wait request returns nothing
    // even when messages are there, so it is not used). Messages that answer after the bound
    // stay with the subscription and come with the next fetch.
    const int64_t wait_ms = timeout.count() == 0 ? kNowMs : std::max<int64_t>(timeout.count(), 1);
    const natsStatus s = natsSubscription_Fetch(&list, pull_->sub, max, wait_ms, &ec);
    std::vector<StreamMessage> out;
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* m = list.Msgs[i];
      list.Msgs[i] = nullptr;  // owned by its acknowledger from here
      auto a = std::make_unique<NatsAcknowledger>(pull_, m);
      StreamMessage sm(std::move(a));
      sm.subject = natsMsg_GetSubject(m);
      sm.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
      sm.delivered = std::chrono::system_clock::now();
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
        sm.sequence = meta->Sequence.Stream;
        sm.deliveries = meta->NumDelivered;
        sm.published = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::nanoseconds(meta->Timestamp)));
        jsMsgMetaData_Destroy(meta);
      }
      if (const char* reply = natsMsg_GetReply(m);
          reply != nullptr && std::string_view(reply).starts_with(pull_->ack_prefix))
        sm.token = std::string(reply + pull_->ack_prefix.size());
      out.push_back(std::move(sm));
    }
    natsMsgList_Destroy(&list);
    if (!out.empty() || s == NATS_OK)
      return out;
    const bool up = natsConnection_Status(pull_->core->nc) == NATS_CONN_STATUS_CONNECTED;
    if (s == NATS_TIMEOUT && up)
      return out;  // nothing to fetch
    if (unreachable(s))
      return fail(Errc::unavailable, fmt::format("fetch from {}: NATS is unreachable ({})",
                                                 pull_->name, natsStatus_GetText(s)));
    return fail(Errc::unavailable,
                fmt::format("fetch from {}: {}", pull_->name, nats_error_text(s)));
  }

 private:
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
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = c.stream.c_str();
    so.Consumer = c.durable.c_str();  // bind: the durable is ours, not cnats'
    ec = static_cast<jsErrCode>(0);
    s = js_PullSubscribe(&pull->sub, js,
                         c.filter_subject.empty() ? nullptr : c.filter_subject.c_str(),
                         c.durable.c_str(), &o, &so, &ec);
    if (s != NATS_OK) {
      pull->sub = nullptr;
      return management_error(what, s, ec, false);
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
