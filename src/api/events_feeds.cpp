#include "events_feeds.hpp"

#include <boost/json/serialize.hpp>

#include <atomic>
#include <map>
#include <mutex>

#include "feed_json.hpp"

namespace ris::api {
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

bool send(const std::shared_ptr<net::WsConnection>& conn, const json::object& frame) {
  return conn->send(std::make_shared<const std::string>(json::serialize(frame)));
}

class BusFeed final : public Feed {
 public:
  explicit BusFeed(std::unique_ptr<bus::Subscription> s) : subscription_(std::move(s)) {}

 private:
  std::unique_ptr<bus::Subscription> subscription_;
};

// A feed's loop: one look at a time (on the worker pool), parked between looks. It lives as long
// as its feed or a parked or posted look holds it; the feed's end stops it at the next look.
template <typename Loop>
class LoopFeed : public Feed {
 public:
  explicit LoopFeed(std::shared_ptr<Loop> loop) : loop_(std::move(loop)) {}
  void start() override { loop_->wake(); }
  ~LoopFeed() override { loop_->stopped = true; }
  bool on_frame(const ClientMessage& m) override { return loop_->on_frame(m); }

 private:
  std::shared_ptr<Loop> loop_;
};

// What every loop shares: waking (never two looks at once, never two parked), and stopping.
template <typename Self>
struct LoopBase : std::enable_shared_from_this<Self> {
  ApiContext& ctx;
  std::string id;
  std::weak_ptr<net::WsConnection> conn;
  std::atomic<bool> stopped{false};
  std::mutex mu;
  bool scheduled = false, parked = false, again = false;

  LoopBase(ApiContext& c, std::string i, std::weak_ptr<net::WsConnection> w)
      : ctx(c), id(std::move(i)), conn(std::move(w)) {}

  void wake() {
    {
      std::lock_guard g(mu);
      if (scheduled) {
        again = true;  // the look under way looks once more
        return;
      }
      scheduled = true;
    }
    auto self = this->shared_from_this();
    ctx.blocking.post([self] { self->run(); });
  }

  void run() {
    auto c = conn.lock();
    bool more = false;
    if (c && !stopped)
      more = static_cast<Self*>(this)->look(c);
    else
      stopped = true;
    bool park = false;
    {
      std::lock_guard g(mu);
      scheduled = false;
      if (stopped)
        return;
      if (more || again) {
        again = false;
        more = true;
      } else if (!parked) {
        parked = park = true;
      }
    }
    if (more)
      return wake();
    if (park)
      static_cast<Self*>(this)->park([self = this->shared_from_this()] {
        {
          std::lock_guard g(self->mu);
          self->parked = false;
        }
        self->wake();
      });
  }

  void end_with_error(const std::shared_ptr<net::WsConnection>& c, const Error& e) {
    stopped = true;
    send(c, {{"type", "error"},
             {"code",
              e.message.find("compacted") != std::string::npos ? "compacted" : errc_name(e.code)},
             {"message", e.message},
             {"id", id}});
  }
};

struct KvLoop : LoopBase<KvLoop> {
  identity::SpaceAccess access;
  std::string prefix;
  int64_t after = 0;

  KvLoop(ApiContext& c, std::string i, std::weak_ptr<net::WsConnection> w)
      : LoopBase(c, std::move(i), std::move(w)) {}

  // True when there may be more to read at once.
  bool look(const std::shared_ptr<net::WsConnection>& c) {
    constexpr int kPage = 500;
    auto page = ctx.kv->changes(access, prefix, after, kPage);
    if (!page) {
      end_with_error(c, page.error());
      return false;
    }
    for (const auto& change : page->items) {
      auto frame = kv_change_json(change);
      frame["type"] = "kv_change";
      frame["id"] = id;
      if (!send(c, frame))
        return false;  // cut off: a slow reader resumes from its last revision
    }
    if (page->items.empty() && page->revision > after)
      send(c, {{"type", "kv_progress"}, {"id", id}, {"revision", page->revision}});
    after = page->revision;
    return page->items.size() == kPage;
  }
  template <typename Resume>
  void park(Resume resume) {
    ctx.kv->wait_for_change(access.space_id, std::move(resume));
  }
  bool on_frame(const ClientMessage&) { return false; }
};

struct QueueLoop : LoopBase<QueueLoop> {
  identity::SpaceAccess access;
  std::string topic, subscription;
  size_t max_in_flight = 10;
  std::chrono::seconds ack_deadline{30};
  std::map<std::string, Clock::time_point> in_flight;  // ack token → its deadline (under mu)

  QueueLoop(ApiContext& c, std::string i, std::weak_ptr<net::WsConnection> w)
      : LoopBase(c, std::move(i), std::move(w)) {}

  bool look(const std::shared_ptr<net::WsConnection>& c) {
    size_t room = 0;
    const auto now = Clock::now();
    {
      std::lock_guard g(mu);
      // A delivery past its deadline is the queue's again (someone else may get it).
      std::erase_if(in_flight, [&](const auto& kv) { return kv.second <= now; });
      room = max_in_flight - std::min(max_in_flight, in_flight.size());
    }
    if (room == 0)
      return false;  // parked: an answer (or the recheck) wakes it
    auto messages = ctx.queues->pull(access, topic, subscription, static_cast<int>(room));
    if (!messages) {
      end_with_error(c, messages.error());
      return false;
    }
    for (const auto& m : *messages) {
      {
        std::lock_guard g(mu);
        in_flight[m.ack] = now + ack_deadline;
      }
      auto frame = queue_message_json(m);
      frame["type"] = "message";
      frame["id"] = id;
      if (!send(c, frame))
        return false;  // cut off: unanswered, they are delivered again after the deadline
    }
    return !messages->empty() && messages->size() < room;
  }
  template <typename Resume>
  void park(Resume resume) {
    ctx.queues->wait_for_message(access, topic, std::move(resume));
  }
  bool on_frame(const ClientMessage& m) {
    if (m.type != "ack" && m.type != "nack")
      return false;
    auto self = shared_from_this();
    ctx.blocking.post([self, m] {
      auto c = self->conn.lock();
      if (!c)
        return;
      const bool ack = m.type == "ack";
      auto done =
          ack ? self->ctx.queues->ack(self->access, self->topic, self->subscription, m.ack)
              : self->ctx.queues->nack(self->access, self->topic, self->subscription, m.ack);
      {
        std::lock_guard g(self->mu);
        self->in_flight.erase(m.ack);
      }
      if (done)
        send(c, {{"type", ack ? "acked" : "nacked"}, {"id", m.id}, {"ack", m.ack}});
      else
        send(c, {{"type", "error"},
                 {"code", errc_name(done.error().code)},
                 {"message", done.error().message},
                 {"id", m.id},
                 {"ack", m.ack}});
      self->wake();  // room for another
    });
    return true;
  }
};

}  // namespace

std::unique_ptr<Feed> bus_feed(std::unique_ptr<bus::Subscription> subscription) {
  return std::make_unique<BusFeed>(std::move(subscription));
}

std::unique_ptr<Feed> kv_feed(ApiContext& ctx, identity::SpaceAccess access, std::string prefix,
                              int64_t after_revision, std::string id,
                              std::weak_ptr<net::WsConnection> conn) {
  auto loop = std::make_shared<KvLoop>(ctx, std::move(id), std::move(conn));
  loop->access = std::move(access);
  loop->prefix = std::move(prefix);
  loop->after = after_revision;
  return std::make_unique<LoopFeed<KvLoop>>(std::move(loop));
}

std::unique_ptr<Feed> queue_feed(ApiContext& ctx, identity::SpaceAccess access, std::string topic,
                                 std::string subscription, int max_in_flight, std::string id,
                                 std::weak_ptr<net::WsConnection> conn) {
  auto loop = std::make_shared<QueueLoop>(ctx, std::move(id), std::move(conn));
  if (auto topics = ctx.queues->topics(access))
    for (const auto& t : *topics)
      if (t.name == topic)
        loop->ack_deadline = std::chrono::seconds(t.ack_deadline_seconds);
  loop->access = std::move(access);
  loop->topic = std::move(topic);
  loop->subscription = std::move(subscription);
  loop->max_in_flight = static_cast<size_t>(max_in_flight);
  return std::make_unique<LoopFeed<QueueLoop>>(std::move(loop));
}

}  // namespace ris::api
