// The Bus on NATS (cnats). One connection per Bus, one NATS subscription per distinct pattern
// shared by every local subscriber of that pattern: a message crosses the network once per
// server and is handed to all of them as the same buffer.
//
// Connection: retried in the background from the start (risd starts before NATS is up) and
// reconnected forever with jitter; while disconnected, publishes go to cnats' reconnect buffer
// (8 MiB), beyond which they are dropped — the bus is at-most-once.
//
// Callbacks run on cnats' delivery threads. A local subscriber's callback runs under its own
// (recursive) mutex, which ~Subscription takes after unlinking it: once the destructor returns
// the callback is never called again, and a callback may destroy its own subscription.
#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "nats_bus.hpp"
#include "ris/core/log.hpp"

namespace ris::bus::detail {
namespace {

constexpr int kReconnectBufferBytes = 8 << 20;
constexpr int64_t kReconnectWaitMs = 500, kReconnectJitterMs = 500, kReconnectJitterTlsMs = 1000;
constexpr int64_t kConnectTimeoutMs = 2000, kWriteDeadlineMs = 2000;
constexpr int64_t kPingIntervalMs = 4000;
constexpr int kMaxPingsOut = 2;
constexpr int64_t kSubscribeFlushMs = 1000;

thread_local bool t_in_delivery = false;  // on a cnats delivery thread, inside our handler

// What subscribe() builds reaches the delivery thread through cnats, whose ordering
// ThreadSanitizer cannot see in an uninstrumented library: a release here and an acquire in
// the handlers state it in our own code. One atomic load per message.
std::atomic<uint64_t> g_handoff{0};
void handoff_release() {
  g_handoff.fetch_add(1, std::memory_order_release);
}
void handoff_acquire() {
  (void)g_handoff.load(std::memory_order_acquire);
}

std::string connected_url(natsConnection* nc) {
  char buf[256] = {};
  if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK)
    return {};
  return buf;
}

// Logs a dropped publish at most once a second, with how many were dropped since.
class DropLog {
 public:
  void note(std::string_view event, boost::json::object fields) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    const uint64_t dropped = ++dropped_;
    int64_t last = last_ms_.load(std::memory_order_relaxed);
    if (now - last < 1000 || !last_ms_.compare_exchange_strong(last, now))
      return;
    fields["dropped_total"] = dropped;
    log::warn(event, std::move(fields));
  }

 private:
  std::atomic<uint64_t> dropped_{0};
  std::atomic<int64_t> last_ms_{-1'000'000};
};

struct Local {
  std::recursive_mutex mu;  // held while the callback runs
  Callback callback;
  bool active = true;
};

// Counts NATS subscriptions whose last callback has not returned yet (their on-complete
// callback has not run), so the connection's owner can wait for them before closing.
struct Pending {
  std::mutex mu;
  std::condition_variable cv;
  int open = 0;
};

// One NATS subscription and the local subscribers of its pattern.
struct Channel {
  std::string pattern;
  natsSubscription* sub = nullptr;
  std::shared_ptr<Pending> pending;
  std::mutex mu;
  std::shared_ptr<const std::vector<std::shared_ptr<Local>>> locals =
      std::make_shared<const std::vector<std::shared_ptr<Local>>>();

  void add(std::shared_ptr<Local> l) {
    std::lock_guard g(mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<Local>>>(*locals);
    next->push_back(std::move(l));
    locals = std::move(next);
  }
  bool remove(const std::shared_ptr<Local>& l) {  // true when none are left
    std::lock_guard g(mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<Local>>>(*locals);
    next->erase(std::remove(next->begin(), next->end(), l), next->end());
    locals = std::move(next);
    return locals->empty();
  }
  auto snapshot() {
    std::lock_guard g(mu);
    return locals;
  }
};

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  handoff_acquire();
  auto& channel = *static_cast<std::shared_ptr<Channel>*>(closure);
  const std::string subject = natsMsg_GetSubject(msg);
  const Message payload = std::make_shared<const std::string>(
      natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  t_in_delivery = true;
  const auto locals = channel->snapshot();  // kept: a subscriber may leave meanwhile
  for (const auto& l : *locals) {
    std::lock_guard g(l->mu);
    if (!l->active)
      continue;
    try {
      l->callback(subject, payload);
    } catch (const std::exception& e) {
      log::error("bus_callback_failed", {{"subject", subject}, {"error", e.what()}});
    } catch (...) {
      log::error("bus_callback_failed", {{"subject", subject}});
    }
  }
  t_in_delivery = false;
}

void on_complete(void* closure) {
  handoff_acquire();
  auto* holder = static_cast<std::shared_ptr<Channel>*>(closure);
  auto pending = (*holder)->pending;
  delete holder;
  std::lock_guard g(pending->mu);
  --pending->open;
  pending->cv.notify_all();
}

void on_connected(natsConnection* nc, void*) {
  log::info("bus_connected", {{"backend", "nats"}, {"url", connected_url(nc)}});
}
void on_disconnected(natsConnection* nc, void*) {
  if (natsConnection_Status(nc) == NATS_CONN_STATUS_CLOSED)
    return;  // our own close
  log::warn("bus_disconnected", {{"backend", "nats"}});
}
void on_reconnected(natsConnection* nc, void*) {
  log::info("bus_reconnected", {{"backend", "nats"}, {"url", connected_url(nc)}});
}
void on_error(natsConnection*, natsSubscription* sub, natsStatus err, void*) {
  boost::json::object f{{"backend", "nats"}, {"error", natsStatus_GetText(err)}};
  if (sub != nullptr)
    f["subject"] = natsSubscription_GetSubject(sub);
  log::warn(err == NATS_SLOW_CONSUMER ? "bus_slow_consumer" : "bus_error", std::move(f));
}

// Shared by the Bus and its Subscriptions: the connection lives until the last of them goes.
struct Core {
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  std::shared_ptr<Pending> pending = std::make_shared<Pending>();
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Channel>, std::less<>> channels;
  DropLog too_large, buffer_full, failed;

  ~Core() {
    if (nc != nullptr) {
      if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED)
        natsConnection_FlushTimeout(nc, 500);  // what was published last still goes out
      natsConnection_Close(nc);
      // The subscriptions' last callbacks return before their memory is let go, unless we
      // are one of those callbacks (a callback dropping the last reference).
      if (!t_in_delivery) {
        std::unique_lock l(pending->mu);
        pending->cv.wait_for(l, std::chrono::seconds(5), [&] { return pending->open == 0; });
      }
      for (auto& [when, sub] : retired)  // the read loop has stopped
        natsSubscription_Destroy(sub);
      natsConnection_Destroy(nc);
    }
    natsOptions_Destroy(opts);
  }

  // cnats 3.4's read loop may still be about to lock a subscription it looked up just before
  // we unsubscribed it (nats.c issue 637, fixed in 3.6): an unsubscribed natsSubscription is
  // kept for a grace period before it is destroyed, instead of at once.
  void close_channel(const std::shared_ptr<Channel>& ch) {
    natsSubscription_Unsubscribe(ch->sub);  // fails only when the connection is closed
    const auto now = std::chrono::steady_clock::now();
    std::vector<natsSubscription*> expired;
    {
      std::lock_guard g(retired_mu);
      retired.emplace_back(now, ch->sub);
      while (!retired.empty() && now - retired.front().first > kRetiredGrace) {
        expired.push_back(retired.front().second);
        retired.pop_front();
      }
    }
    for (auto* sub : expired)
      natsSubscription_Destroy(sub);
  }

  static constexpr auto kRetiredGrace = std::chrono::seconds(5);
  std::mutex retired_mu;
  std::deque<std::pair<std::chrono::steady_clock::time_point, natsSubscription*>> retired;
};

class NatsSubscription final : public Subscription {
 public:
  NatsSubscription(std::shared_ptr<Core> core, std::shared_ptr<Channel> channel,
                   std::shared_ptr<Local> local)
      : core_(std::move(core)), channel_(std::move(channel)), local_(std::move(local)) {}

  ~NatsSubscription() override {
    bool last = false;
    if (channel_) {
      std::lock_guard g(core_->mu);
      last = channel_->remove(local_);
      if (last)
        core_->channels.erase(channel_->pattern);
    }
    {
      std::lock_guard g(local_->mu);  // waits for a callback running on another thread
      local_->active = false;
    }
    if (last)
      core_->close_channel(channel_);
  }

 private:
  std::shared_ptr<Core> core_;
  std::shared_ptr<Channel> channel_;  // null when subscribing failed
  std::shared_ptr<Local> local_;
};

class NatsBus final : public Bus {
 public:
  explicit NatsBus(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  void publish(std::string_view subject, Message message) override {
    static const std::string empty;
    const std::string& data = message ? *message : empty;
    const std::string subj(subject);
    const int64_t max = natsConnection_GetMaxPayload(core_->nc);
    if (max > 0 && data.size() > static_cast<uint64_t>(max)) {
      core_->too_large.note("bus_message_too_large",
                            {{"subject", subj}, {"bytes", data.size()}, {"max_payload", max}});
      return;
    }
    natsStatus s =
        natsConnection_Publish(core_->nc, subj.c_str(), data.data(), static_cast<int>(data.size()));
    if (s == NATS_OK)
      return;
    if (s == NATS_MAX_PAYLOAD)
      core_->too_large.note("bus_message_too_large", {{"subject", subj}, {"bytes", data.size()}});
    else if (s == NATS_INSUFFICIENT_BUFFER)
      core_->buffer_full.note("bus_publish_dropped",
                              {{"subject", subj}, {"reason", "reconnect buffer full"}});
    else
      core_->failed.note("bus_publish_dropped",
                         {{"subject", subj}, {"reason", natsStatus_GetText(s)}});
  }

  std::unique_ptr<Subscription> subscribe(std::string pattern, Callback callback) override {
    auto local = std::make_shared<Local>();
    local->callback = std::move(callback);
    std::shared_ptr<Channel> channel;
    bool created = false;
    {
      std::lock_guard g(core_->mu);
      if (auto it = core_->channels.find(pattern); it != core_->channels.end()) {
        channel = it->second;
        channel->add(local);
        handoff_release();
      } else {
        channel = std::make_shared<Channel>();
        channel->pattern = pattern;
        channel->pending = core_->pending;
        channel->add(local);
        auto* holder = new std::shared_ptr<Channel>(channel);
        handoff_release();
        natsStatus s =
            natsConnection_Subscribe(&channel->sub, core_->nc, pattern.c_str(), on_message, holder);
        if (s == NATS_OK)
          s = natsSubscription_SetOnCompleteCB(channel->sub, on_complete, holder);
        if (s != NATS_OK) {
          log::error("bus_subscribe_failed",
                     {{"pattern", pattern}, {"error", natsStatus_GetText(s)}});
          if (channel->sub != nullptr) {
            natsSubscription_Unsubscribe(channel->sub);
            natsSubscription_Destroy(channel->sub);
            // Its on-complete callback may or may not come: the holder is leaked, not freed twice.
          } else {
            delete holder;
          }
          return std::make_unique<NatsSubscription>(core_, nullptr, local);
        }
        {
          std::lock_guard p(core_->pending->mu);
          ++core_->pending->open;
        }
        core_->channels.emplace(pattern, channel);
        created = true;
      }
    }
    // One round trip, so that once subscribe() returns the server routes this pattern to us
    // (another server may publish to it at once). Bounded: a stalled server costs a second.
    if (created && natsConnection_Status(core_->nc) == NATS_CONN_STATUS_CONNECTED)
      natsConnection_FlushTimeout(core_->nc, kSubscribeFlushMs);
    return std::make_unique<NatsSubscription>(core_, std::move(channel), std::move(local));
  }

  bool has_subscribers() const override { return true; }  // other servers' are unknown here
  std::string_view backend() const override { return "nats"; }
  bool connected() const override {
    return natsConnection_Status(core_->nc) == NATS_CONN_STATUS_CONNECTED;
  }

 private:
  std::shared_ptr<Core> core_;
};

Result<void> check(natsStatus s, std::string_view what) {
  if (s == NATS_OK)
    return {};
  const char* detail = nats_GetLastError(nullptr);
  return fail(Errc::invalid_argument,
              fmt::format("NATS URL: {}: {}", what,
                          detail != nullptr && *detail ? detail : natsStatus_GetText(s)));
}

}  // namespace

Result<std::unique_ptr<Bus>> open_nats_bus(std::string_view url) {
  RIS_TRY(NatsOptions o, parse_nats_url(url));
  static std::once_flag pool_once;
  std::call_once(pool_once, [] { nats_SetMessageDeliveryPoolSize(2); });

  auto core = std::make_shared<Core>();
  RIS_TRY_VOID(check(natsOptions_Create(&core->opts), "options"));
  natsOptions* opts = core->opts;
  std::vector<const char*> servers;
  for (const auto& s : o.servers)
    servers.push_back(s.c_str());
  RIS_TRY_VOID(check(natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size())),
                     "servers"));
  RIS_TRY_VOID(check(natsOptions_SetName(opts, "risd"), "name"));
  if (!o.user.empty())
    RIS_TRY_VOID(check(natsOptions_SetUserInfo(opts, o.user.c_str(), o.password.c_str()),
                       "user and password"));
  if (!o.token.empty())
    RIS_TRY_VOID(check(natsOptions_SetToken(opts, o.token.c_str()), "token"));
  if (!o.creds_file.empty())
    RIS_TRY_VOID(check(natsOptions_SetUserCredentialsFromFiles(opts, o.creds_file.c_str(), nullptr),
                       fmt::format("?creds={}", o.creds_file)));
  if (o.tls) {
    RIS_TRY_VOID(check(natsOptions_SetSecure(opts, true), "TLS"));
    if (!o.ca_file.empty())
      RIS_TRY_VOID(check(natsOptions_LoadCATrustedCertificates(opts, o.ca_file.c_str()),
                         fmt::format("?ca={}", o.ca_file)));
    if (!o.cert_file.empty())
      RIS_TRY_VOID(
          check(natsOptions_LoadCertificatesChain(opts, o.cert_file.c_str(), o.key_file.c_str()),
                fmt::format("?cert={}&key={}", o.cert_file, o.key_file)));
  }
  RIS_TRY_VOID(check(natsOptions_SetTimeout(opts, kConnectTimeoutMs), "timeout"));
  RIS_TRY_VOID(check(natsOptions_SetMaxReconnect(opts, -1), "reconnect"));
  RIS_TRY_VOID(check(natsOptions_SetReconnectWait(opts, kReconnectWaitMs), "reconnect"));
  RIS_TRY_VOID(check(
      natsOptions_SetReconnectJitter(opts, kReconnectJitterMs, kReconnectJitterTlsMs), "jitter"));
  RIS_TRY_VOID(check(natsOptions_SetReconnectBufSize(opts, kReconnectBufferBytes), "buffer"));
  RIS_TRY_VOID(check(natsOptions_SetWriteDeadline(opts, kWriteDeadlineMs), "write deadline"));
  RIS_TRY_VOID(check(natsOptions_SetPingInterval(opts, kPingIntervalMs), "ping"));
  RIS_TRY_VOID(check(natsOptions_SetMaxPingsOut(opts, kMaxPingsOut), "ping"));
  RIS_TRY_VOID(check(natsOptions_UseGlobalMessageDelivery(opts, true), "delivery"));
  RIS_TRY_VOID(
      check(natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, nullptr), "retry"));
  RIS_TRY_VOID(check(natsOptions_SetDisconnectedCB(opts, on_disconnected, nullptr), "callback"));
  RIS_TRY_VOID(check(natsOptions_SetReconnectedCB(opts, on_reconnected, nullptr), "callback"));
  RIS_TRY_VOID(check(natsOptions_SetErrorHandler(opts, on_error, nullptr), "callback"));

  natsStatus s = natsConnection_Connect(&core->nc, opts);
  if (s == NATS_OK) {
    on_connected(core->nc, nullptr);
  } else if (s == NATS_NOT_YET_CONNECTED) {
    log::warn("bus_disconnected", {{"backend", "nats"}, {"reason", "no server up yet; retrying"}});
  } else {
    const char* detail = nats_GetLastError(nullptr);
    core->nc = nullptr;
    return fail(Errc::unavailable,
                fmt::format("NATS: cannot connect: {}",
                            detail != nullptr && *detail ? detail : natsStatus_GetText(s)));
  }
  return std::unique_ptr<Bus>(std::make_unique<NatsBus>(std::move(core)));
}

}  // namespace ris::bus::detail
