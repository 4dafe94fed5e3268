// The gateway wires its jobs together and owns the session lifecycle: an upgrade becomes a
// session, the session is verified against the registry (the certificate's CN is the agent id),
// its messages go to the handlers (the hello stores its presence: this server holds the agent),
// and its end is recorded (last seen, presence released) so that the sweepers can count.
#include "ris/fleet/gateway.hpp"

#include "agent_messages.hpp"
#include "agent_sessions.hpp"
#include "fleet_events.hpp"
#include "message_handlers.hpp"
#include "ris/bus/bus.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/store/group_commit.hpp"
#include "router.hpp"
#include "run_dispatch.hpp"
#include "run_messages.hpp"
#include "server_list.hpp"
#include "sweeper.hpp"

namespace ris::fleet {
namespace {
// A server that joined or left says so here: every server re-reads the list at its next sweep
// (within 500 ms) and tells its agents, instead of at its next periodic refresh.
constexpr std::string_view kMembershipSubject = "ris.cluster.membership";
}  // namespace

struct Gateway::Parts {
  Parts(store::Store& store, Agents& agents, Presence& presence, WorkerPool& pool,
        security::Ed25519Key task_key, GatewayOptions options, bus::Bus* bus)
      : agents(agents),
        presence(presence),
        pool(pool),
        commits(store, pool),
        handlers(commits),
        events(store, bus),
        dispatch(store, sessions, std::move(task_key), options.secrets),
        agent_messages(agents, presence, dispatch, events),
        run_messages(store, events, options.output_cap_bytes),
        sweeper(store, events, dispatch, presence, options.lost_after),
        router(store, bus, dispatch, sessions, pool),
        servers(store),
        bus(bus) {
    agent_messages.register_into(handlers);
    run_messages.register_into(handlers);
    router.start(presence.server_id());
    sweeper.each_pass([this] { announce_servers(); });
    if (bus && bus->backend() != "in-process") {
      membership =
          bus->subscribe(std::string(kMembershipSubject),
                         [this](std::string_view, const bus::Message&) { servers.expire(); });
    }
  }

  void announce_servers();

  void verify(AgentSession& s);
  void handle(AgentSession& s, const std::string& text);
  void closed(AgentSession& s);

  Agents& agents;
  Presence& presence;
  WorkerPool& pool;
  store::GroupCommit commits;
  SessionRegistry sessions;
  MessageHandlers handlers;
  FleetEvents events;
  RunDispatch dispatch;
  AgentMessages agent_messages;
  RunMessages run_messages;
  Sweeper sweeper;
  Router router;
  ServerList servers;
  bus::Bus* bus;
  std::unique_ptr<bus::Subscription> membership;  // servers joining or leaving, to re-read
};

namespace {
// The WebSocket side of a session: every message and the close become jobs of its queue.
class AgentSocket : public net::WsHandler {
 public:
  AgentSocket(Gateway::Parts& parts, std::shared_ptr<AgentSession> s)
      : parts_(parts), s_(std::move(s)) {}
  void on_message(std::string_view text) override {
    s_->enqueue([&parts = parts_, s = s_, text = std::string(text)] { parts.handle(*s, text); });
  }
  void on_close() override {
    s_->enqueue([&parts = parts_, s = s_] { parts.closed(*s); });
  }

 private:
  Gateway::Parts& parts_;
  std::shared_ptr<AgentSession> s_;
};
}  // namespace

void Gateway::Parts::verify(AgentSession& s) {
  if (s.agent_id().empty()) {
    log::warn("agent_refused", {{"remote", s.remote()}, {"reason", "no client certificate"}});
    return s.close(4401, "a client certificate is required: enrol with ris-agent join");
  }
  auto agent = agents.find(s.agent_id());
  if (!agent && agent.error().code != Errc::not_found) {
    // The database is away: not a verdict on the agent, which reconnects later.
    log::warn("agent_not_verified", {{"agent", s.agent_id()}, {"error", agent.error().message}});
    return s.close(1013, "the server cannot check agents right now; try again later");
  }
  if (!agent || agent->revoked) {
    log::warn("agent_refused", {{"agent", s.agent_id()},
                                {"remote", s.remote()},
                                {"reason", agent ? "revoked" : "unknown"}});
    return s.close(4403, agent ? "this agent has been revoked" : "unknown agent");
  }
  s.verified = true;
  s.space_id = agent->space_id;
  auto previous = sessions.replace(s.shared_from_this());
  if (previous)
    previous->close(4409, "replaced by a newer connection of the same agent");
  log::info("agent_connected", {{"agent", s.agent_id()}, {"remote", s.remote()}});
  Envelope ack;
  ack.message_type = "hello_ack";
  ack.client_id = s.agent_id();
  ack.payload = {{"server_time", now_rfc3339()}, {"servers", *servers.current()}};
  s.send(ack);
}

// A server joined or left: every agent here learns the new list.
void Gateway::Parts::announce_servers() {
  if (!servers.refresh_changed())
    return;
  const auto list = servers.current();
  log::info("cluster_servers_changed", {{"servers", *list}});
  for (const auto& id : sessions.agent_ids()) {
    if (auto s = sessions.find(id)) {
      Envelope e;
      e.message_type = "cluster_servers";
      e.client_id = id;
      e.payload = {{"servers", *list}};
      s->send(e);
    }
  }
}

void Gateway::Parts::handle(AgentSession& s, const std::string& text) {
  if (!s.verified)
    return;  // refused at verify(); the connection is closing
  handlers.dispatch(s, text);
}

void Gateway::Parts::closed(AgentSession& s) {
  if (!s.verified)
    return;
  // Seen until now, then no longer held: a sweeper that finds the agent unheld counts its grace
  // period from here. The presence row stays if a newer session (here or elsewhere) replaced it.
  if (auto seen = agents.record_disconnect(s.agent_id()); !seen)
    log::error("agent_disconnect_failed",
               {{"agent", s.agent_id()}, {"error", seen.error().message}});
  if (auto released = presence.release(s.agent_id(), s.id()); !released)
    log::error("agent_presence_failed",
               {{"agent", s.agent_id()}, {"error", released.error().message}});
  if (sessions.remove(s)) {
    agent_messages.forget(s.agent_id());
    log::info("agent_disconnected", {{"agent", s.agent_id()}});
  }
  events.publish_change(s.space_id, "agents", s.agent_id(), {{"event", "disconnected"}});
}

Gateway::Gateway(store::Store& store, Agents& agents, Presence& presence, WorkerPool& pool,
                 security::Ed25519Key task_key, GatewayOptions options, bus::Bus* bus)
    : p_(std::make_unique<Parts>(store, agents, presence, pool, std::move(task_key), options,
                                 bus)) {}

Gateway::~Gateway() {
  stop();
}

std::unique_ptr<net::WsHandler> Gateway::accept(net::WsConnection& conn,
                                                const net::Request& upgrade) {
  auto s = std::make_shared<AgentSession>(p_->pool, conn, upgrade.peer_identity);
  s->enqueue([parts = p_.get(), s] { parts->verify(*s); });
  return std::make_unique<AgentSocket>(*p_, s);
}

void Gateway::dispatch_pending(const std::string& agent_id) {
  if (!p_->sessions.find(agent_id))
    return p_->router.forward({.op = RoutedItem::Op::dispatch_pending, .agent_id = agent_id});
  p_->dispatch.dispatch_pending(agent_id);
}

void Gateway::send_new_run(const std::string& agent_id, const std::string& run_id,
                           const std::string& task_id) {
  if (!p_->sessions.find(agent_id)) {
    return p_->router.forward({.op = RoutedItem::Op::send_run,
                               .agent_id = agent_id,
                               .run_id = run_id,
                               .task_id = task_id});
  }
  p_->dispatch.send_new_run(agent_id, run_id, task_id);
}

void Gateway::cancel(const std::string& agent_id, const std::string& run_id) {
  if (!p_->sessions.find(agent_id))
    return p_->router.forward(
        {.op = RoutedItem::Op::cancel, .agent_id = agent_id, .run_id = run_id});
  p_->dispatch.cancel(agent_id, run_id);
}

void Gateway::disconnect(const std::string& agent_id, uint16_t code, const std::string& reason) {
  if (auto s = p_->sessions.find(agent_id))
    return s->close(code, reason);
  p_->router.forward(
      {.op = RoutedItem::Op::disconnect, .agent_id = agent_id, .code = code, .reason = reason});
}

bool Gateway::connected(const std::string& agent_id) const {
  return p_->sessions.find(agent_id) != nullptr;
}

std::vector<std::string> Gateway::connected_agents() const {
  return p_->sessions.agent_ids();
}

int64_t Gateway::connected_count() const {
  return p_->sessions.count();
}

std::string Gateway::task_public_key() const {
  return p_->dispatch.task_public_key();
}

void Gateway::on_finished(std::function<void(const FinishedRun&)> fn) {
  p_->events.on_finished(std::move(fn));
}

void Gateway::on_connected(std::function<void(const std::string& agent_id)> fn) {
  p_->events.on_connected(std::move(fn));
}

void Gateway::on_message(
    std::string type,
    std::function<Result<void>(const std::string& agent_id, const Envelope&)> fn) {
  p_->handlers.add(std::move(type), [fn = std::move(fn)](InboundMessage& m) {
    return fn(m.session.agent_id(), m.envelope);
  });
}

void Gateway::publish_change(const std::string& space_id, std::string_view resource,
                             std::string_view id, boost::json::object extra) {
  p_->events.publish_change(space_id, resource, id, std::move(extra));
}

bool Gateway::send_control(const std::string& agent_id, Envelope e) {
  return p_->dispatch.send_control(agent_id, std::move(e));
}

void Gateway::on_refresh(std::string topic, std::function<void(const std::string& agent_id)> fn) {
  p_->router.on_refresh(std::move(topic), std::move(fn));
}

void Gateway::refresh(const std::string& topic, const std::string& agent_id) {
  if (p_->sessions.find(agent_id)) {
    (void)p_->router.refresh_here(topic, agent_id);
    return;
  }
  p_->router.forward({.op = RoutedItem::Op::refresh, .agent_id = agent_id, .topic = topic});
}

void Gateway::export_metrics(metrics::Registry& registry) {
  p_->events.export_metrics(registry);
  p_->agent_messages.export_metrics(registry);
}

void Gateway::start_sweeper() {
  p_->sweeper.start();
  membership_changed();
}

void Gateway::membership_changed() {
  if (p_->bus && p_->bus->backend() != "in-process")
    p_->bus->publish(kMembershipSubject,
                     std::make_shared<const std::string>(p_->presence.server_id()));
}

void Gateway::stop() {
  p_->router.stop();
  p_->sweeper.stop();
}

}  // namespace ris::fleet
