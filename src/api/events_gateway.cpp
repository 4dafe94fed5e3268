// /events/v1: the WebSocket people's tools (dashboard, risctl --watch) keep open. A client
// authenticates with a token frame, then subscribes to live views; each subscription is checked
// against the same permissions as the REST API (a task of another space is "not found").
#include <algorithm>
#include <map>
#include <mutex>

#include "endpoint.hpp"
#include "events_feeds.hpp"
#include "events_protocol.hpp"

namespace ris::api {
namespace {

// Shared with the worker-pool jobs that check tokens and permissions: they may outlive the
// handler, so they hold this and a weak handle on the connection.
struct EventsState {
  std::mutex mu;
  std::optional<identity::Principal> principal;
  std::map<std::string, std::unique_ptr<Feed>> subscriptions;
};
constexpr size_t kMaxSubscriptions = 64;

class EventsHandler final : public net::WsHandler {
 public:
  EventsHandler(ApiContext& ctx, net::WsConnection& conn)
      : ctx_(ctx), conn_(conn), state_(std::make_shared<EventsState>()) {
    send(hello_frame(kVersion));
  }
  ~EventsHandler() override {
    std::lock_guard lock(state_->mu);
    state_->subscriptions.clear();
  }

  void on_message(std::string_view text) override {
    auto m = parse_client_message(text);
    if (!m)
      return send(error_frame("bad_message", m.error().message, ""));
    if (m->type == "ping")
      return send(pong_frame(m->id));
    if (m->type == "auth")
      return authenticate(*m);
    if (m->type == "subscribe")
      return subscribe(*m);
    if (m->type == "unsubscribe") {
      std::unique_ptr<Feed> ended;  // ended outside the lock
      {
        std::lock_guard lock(state_->mu);
        if (auto it = state_->subscriptions.find(m->id); it != state_->subscriptions.end()) {
          ended = std::move(it->second);
          state_->subscriptions.erase(it);
        }
      }
      return send(ack_frame("unsubscribed", m->id));
    }
    if (m->type == "ack" || m->type == "nack") {
      std::lock_guard lock(state_->mu);
      auto it = state_->subscriptions.find(m->id);
      if (it == state_->subscriptions.end() || !it->second->on_frame(*m))
        send(error_frame("not_found", "no queue subscription \"" + m->id + "\" here", m->id));
      return;
    }
    send(error_frame("unknown_type", "unknown message type '" + m->type + "'", m->id));
  }

 private:
  void send(std::string frame) {
    conn_.send(std::make_shared<const std::string>(std::move(frame)));
  }

  void authenticate(const ClientMessage& m) {
    ctx_.blocking.post([&ctx = ctx_, state = state_, weak = conn_.weak(), m] {
      auto conn = weak.lock();
      if (!conn)
        return;
      auto reply = [&](std::string frame) {
        conn->send(std::make_shared<const std::string>(std::move(frame)));
      };
      Result<identity::Principal> p = fail(Errc::unauthenticated, "no token");
      if (identity::ApiTokens::looks_like_token(m.token)) {
        p = ctx.api_tokens.authenticate(m.token);
      } else if (auto claims = ctx.sessions.verify(m.token)) {
        identity::Principal principal;
        principal.account_id = claims->account_id;
        principal.app_roles = claims->app_roles;
        p = std::move(principal);
      } else {
        p = fail(claims.error());
      }
      if (!p)
        return reply(error_frame("unauthenticated", p.error().message, m.id));
      std::lock_guard lock(state->mu);
      state->principal = std::move(*p);
      reply(ack_frame("authenticated", m.id));
    });
  }

  // Topics: "task" (one task's run_state and run_output), and a space's change notices for
  // "agents", "tasks" and "services" ({"type":"changed","resource","id",…}) — all need
  // VIEW_AGENTS in the space, as the REST reads do; "kv" (a watch: USE_KV on the prefix) and
  // "queue" (a consumer: USE_PUBSUB on the topic), checked as their REST calls are.
  void subscribe(const ClientMessage& m) {
    const bool space_topic = m.topic == "agents" || m.topic == "tasks" || m.topic == "services";
    const bool data_topic = m.topic == "kv" || m.topic == "queue";
    if (m.topic != "task" && !space_topic && !data_topic)
      return send(
          error_frame("unknown_topic", "topics: task, agents, tasks, services, kv, queue", m.id));
    if (m.id.empty())
      return send(error_frame("bad_message", "a subscription needs an \"id\"", m.id));
    ctx_.blocking.post([&ctx = ctx_, state = state_, weak = conn_.weak(), m, space_topic] {
      auto conn = weak.lock();
      if (!conn)
        return;
      auto reply = [&](std::string frame) {
        conn->send(std::make_shared<const std::string>(std::move(frame)));
      };
      std::optional<identity::Principal> principal;
      {
        std::lock_guard lock(state->mu);
        principal = state->principal;
        if (state->subscriptions.size() >= kMaxSubscriptions)
          return reply(error_frame("too_many", "at most 64 subscriptions per connection", m.id));
        if (state->subscriptions.contains(m.id))
          return reply(error_frame("conflict", "a subscription \"" + m.id + "\" is open", m.id));
      }
      if (!principal)
        return reply(
            error_frame("unauthenticated", "send {\"type\":\"auth\",\"token\":…} first", m.id));
      auto access = identity::load_access(ctx.store, m.space, *principal);
      if (!access)
        return reply(
            error_frame(std::string(errc_name(access.error().code)), access.error().message, m.id));
      auto feed = open_feed(ctx, *access, m, space_topic, weak);
      if (!feed)
        return reply(
            error_frame(std::string(errc_name(feed.error().code)), feed.error().message, m.id));
      std::lock_guard lock(state->mu);
      auto& started = state->subscriptions[m.id] = std::move(*feed);
      reply(ack_frame("subscribed", m.id));
      started->start();
    });
  }

  // Checks the caller may read what `m` asks for, and opens its feed (blocking: on the pool).
  static Result<std::unique_ptr<Feed>> open_feed(ApiContext& ctx,
                                                 const identity::SpaceAccess& access,
                                                 const ClientMessage& m, bool space_topic,
                                                 std::weak_ptr<net::WsConnection> weak) {
    if (m.topic == "kv") {
      if (!ctx.kv)
        return fail(Errc::unavailable, "the key-value store is not served here");
      // What the watch will read, read once now: permission, and a compacted revision.
      if (auto first = ctx.kv->changes(access, m.prefix, m.after_revision, 1); !first)
        return fail(first.error());
      return kv_feed(ctx, access, m.prefix, m.after_revision, m.id, std::move(weak));
    }
    if (m.topic == "queue") {
      if (!ctx.queues)
        return fail(Errc::unavailable, "queues are not served here");
      RIS_TRY(auto subs, ctx.queues->subscriptions(access, m.queue));
      if (std::none_of(subs.begin(), subs.end(),
                       [&](const queue::Subscription& s) { return s.name == m.subscription; }))
        return fail(Errc::not_found,
                    "no subscription \"" + m.subscription + "\" of \"" + m.queue + "\"");
      return queue_feed(ctx, access, m.queue, m.subscription, static_cast<int>(m.max_in_flight),
                        m.id, std::move(weak));
    }
    if (!ctx.tasks)
      return fail(Errc::unavailable, "the fleet is not served here");
    RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
    if (!space_topic)
      if (auto task = ctx.tasks->get(access, m.task); !task)
        return fail(task.error());
    // The bus calls back on the publisher's thread; the connection's send is thread-safe and
    // bounded (a slow reader is cut off, never buffered without limit).
    auto subject = space_topic ? fleet::space_subject(access.space_id, m.topic)
                               : fleet::task_subject(access.space_id, m.task);
    return bus_feed(ctx.bus.subscribe(std::move(subject),
                                      [weak](std::string_view, const bus::Message& message) {
                                        if (auto c = weak.lock())
                                          c->send(message);
                                      }));
  }

  ApiContext& ctx_;
  net::WsConnection& conn_;
  std::shared_ptr<EventsState> state_;
};

}  // namespace

std::unique_ptr<net::WsHandler> make_events_handler(ApiContext& ctx, net::WsConnection& conn,
                                                    const net::Request&) {
  return std::make_unique<EventsHandler>(ctx, conn);
}

}  // namespace ris::api
