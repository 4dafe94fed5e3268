// The Bus on NATS (cnats). One connection per Bus, one NATS subscription per distinct pattern
// shared by every local subscriber of that pattern: a message crosses the network once per
// server and is handed to all of them as the same buffer.
//
// Connection (nats_connect.cpp): retried in the background from the start (risd starts before
// NATS is up) and reconnected forever with jitter; while disconnected, publishes go to cnats'
// reconnect buffer (8 MiB), beyond which they are dropped — the bus is at-most-once.
//
// Callbacks run on cnats' delivery threads. A local subscriber's callback runs under its own
// (recursive) mutex, which ~Subscription takes after unlinking it: once the destructor returns
// the callback is never called again, and a callback may destroy its own subscription.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "nats_connect.hpp"
#include "ris/core/log.hpp"

namespace ris::bus::detail {
namespace {

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

}  // namespace

Result<std::unique_ptr<Bus>> open_nats_bus(std::string_view url) {
  static constexpr NatsComponent kBus{"bus", "risd"};
  auto core = std::make_shared<Core>();
  if (auto r = connect_nats(url, &kBus, core->opts, core->nc); !r) {
    core->nc = nullptr;  // never connected: nothing to close
    return fail(r.error());
  }
  return std::unique_ptr<Bus>(std::make_unique<NatsBus>(std::move(core)));
}

}  // namespace ris::bus::detail
