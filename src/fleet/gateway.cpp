#include "ris/fleet/gateway.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <optional>

#include "ris/bus/bus.hpp"
#include "ris/core/base64.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/metrics/metrics.hpp"
#include "run_repository.hpp"

namespace ris::fleet {
namespace {
constexpr std::string_view kFinal[] = {"succeeded", "failed", "timed_out", "cancelled", "lost"};

bool is_final(std::string_view state) {
  for (auto f : kFinal)
    if (state == f)
      return true;
  return false;
}

std::string str(const boost::json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
store::Value opt_int(const boost::json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? store::Value(v->as_int64()) : store::Value();
}
}  // namespace

// One agent connection. Messages are handled in arrival order on the worker pool (a per-session
// queue), so the database work of one agent is serial and I/O threads never block.
struct Gateway::Session : std::enable_shared_from_this<Session> {
  Gateway& gw;
  std::weak_ptr<net::WsConnection> conn;
  std::string agent_id, space_id, remote;
  bool verified = false;  // pool-side state, touched only by queued jobs
  std::atomic<bool> closed{false};

  std::mutex mu;
  std::deque<std::function<void()>> jobs;
  bool busy = false;
  // A job that hands its write to the group commit pauses the session: the next message waits
  // until that write is committed (and acknowledged), so messages stay in order.
  bool paused = false, parked = false;

  Session(Gateway& g, net::WsConnection& c) : gw(g), conn(c.weak()), remote(c.remote_address()) {}

  void enqueue(std::function<void()> job) {
    std::lock_guard lock(mu);
    jobs.push_back(std::move(job));
    if (busy)
      return;
    busy = true;
    gw.pool_.post([self = shared_from_this()] { self->drain(); });
  }
  // From inside a job: run no further job until resume().
  void pause() {
    std::lock_guard lock(mu);
    paused = true;
  }
  // From any thread, once per pause(): carries on with the queued jobs.
  void resume() {
    {
      std::lock_guard lock(mu);
      paused = false;
      if (!parked)
        return;  // drain() has not reached its check yet and simply goes on
      parked = false;
    }
    gw.pool_.post([self = shared_from_this()] { self->drain(); });
  }
  void drain() {
    while (true) {
      std::function<void()> job;
      {
        std::lock_guard lock(mu);
        if (paused) {
          parked = true;  // busy stays set: resume() restarts the drain
          return;
        }
        if (jobs.empty()) {
          busy = false;
          return;
        }
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job();
    }
  }
  void send(const Envelope& e) {
    if (auto c = conn.lock())
      c->send(std::make_shared<const std::string>(serialize(e)));
  }
  // Tells the agent that its messages up to `seq` are stored (0: the message had no number).
  void acknowledge(int64_t seq) {
    if (seq <= 0)
      return;
    Envelope ack;
    ack.message_type = "ack";
    ack.payload = {{"up_to", seq}};
    send(ack);
  }
  void close(uint16_t code, std::string reason) {
    if (auto c = conn.lock())
      c->close(code, std::move(reason));
  }
  void on_text(std::string text) {
    enqueue([self = shared_from_this(), text = std::move(text)] { self->gw.handle(*self, text); });
  }
  void on_closed() {
    closed = true;
    enqueue([self = shared_from_this()] { self->gw.session_closed(*self); });
  }
};

namespace {
class Handler : public net::WsHandler {
 public:
  explicit Handler(std::shared_ptr<Gateway::Session> s) : s_(std::move(s)) {}
  void on_message(std::string_view text) override { s_->on_text(std::string(text)); }
  void on_close() override { s_->on_closed(); }

 private:
  std::shared_ptr<Gateway::Session> s_;
};
}  // namespace

Gateway::Gateway(store::Store& store, Agents& agents, WorkerPool& pool,
                 security::Ed25519Key task_key, GatewayOptions options, bus::Bus* bus)
    : store_(store),
      agents_(agents),
      pool_(pool),
      commits_(store, pool),
      task_key_(std::move(task_key)),
      options_(options),
      bus_(bus) {}

Gateway::~Gateway() {
  stop();
}

std::string Gateway::task_public_key() const {
  return base64url_encode(task_key_.public_raw());
}

std::unique_ptr<net::WsHandler> Gateway::accept(net::WsConnection& conn,
                                                const net::Request& upgrade) {
  auto s = std::make_shared<Session>(*this, conn);
  s->agent_id = upgrade.peer_identity;
  s->enqueue([this, s] { verify(*s); });
  return std::make_unique<Handler>(s);
}

void Gateway::verify(Session& s) {
  if (s.agent_id.empty()) {
    log::warn("agent_refused", {{"remote", s.remote}, {"reason", "no client certificate"}});
    return s.close(4401, "a client certificate is required: enrol with ris-agent join");
  }
  auto agent = agents_.find(s.agent_id);
  if (!agent || agent->revoked) {
    log::warn(
        "agent_refused",
        {{"agent", s.agent_id}, {"remote", s.remote}, {"reason", agent ? "revoked" : "unknown"}});
    return s.close(4403, agent ? "this agent has been revoked" : "unknown agent");
  }
  s.verified = true;
  s.space_id = agent->space_id;
  std::shared_ptr<Session> previous;
  {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(s.agent_id); it != sessions_.end())
      previous = it->second.lock();
    sessions_[s.agent_id] = s.weak_from_this();
    away_since_.erase(s.agent_id);
  }
  if (previous && previous.get() != &s)
    previous->close(4409, "replaced by a newer connection of the same agent");
  log::info("agent_connected", {{"agent", s.agent_id}, {"remote", s.remote}});
  Envelope ack;
  ack.message_type = "hello_ack";
  ack.client_id = s.agent_id;
  ack.payload = {{"server_time", now_rfc3339()}};
  s.send(ack);
}

void Gateway::session_closed(Session& s) {
  if (!s.verified)
    return;
  std::lock_guard lock(mu_);
  auto it = sessions_.find(s.agent_id);
  if (it != sessions_.end() && it->second.lock().get() == &s) {
    sessions_.erase(it);
    counters_.erase(s.agent_id);
    away_since_[s.agent_id] = std::chrono::steady_clock::now();
    log::info("agent_disconnected", {{"agent", s.agent_id}});
  }
  publish_change(s.space_id, "agents", s.agent_id, {{"event", "disconnected"}});
}

Result<boost::json::object> Gateway::execution_payload(const std::string& task_id) {
  {
    std::lock_guard lock(payload_mu_);
    if (auto it = payloads_.find(task_id); it != payloads_.end())
      return it->second;
  }
  RIS_TRY(auto stored, RunRepository(store_).type_and_spec(task_id));
  if (!stored)
    return fail(Errc::not_found, "no such task");
  boost::system::error_code ec;
  auto spec = boost::json::parse(stored->second, ec);
  if (ec || !spec.is_object())
    return fail(Errc::internal, "stored task spec is not JSON");
  boost::json::object payload{{"task_type", stored->first}, {"action", "run"}};
  if (auto* p = spec.as_object().if_contains("parameters"))
    payload["parameters"] = *p;
  if (auto* t = spec.as_object().if_contains("timeout_seconds"))
    payload["timeout_seconds"] = *t;
  std::lock_guard lock(payload_mu_);
  if (payloads_.size() >= 1024)  // tasks are immutable; forgetting them only costs a re-read
    payloads_.clear();
  payloads_.emplace(task_id, payload);
  return payload;
}

std::shared_ptr<Gateway::Session> Gateway::session_of(const std::string& agent_id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(agent_id);
  return it == sessions_.end() ? nullptr : it->second.lock();
}

Result<Envelope> Gateway::execution_message(const std::string& agent_id, const std::string& run_id,
                                            const std::string& task_id) {
  RIS_TRY(auto payload, execution_payload(task_id));
  Envelope e;
  e.message_type = "task_execution";
  e.task_id = run_id;
  e.client_id = agent_id;
  e.payload = std::move(payload);
  RIS_TRY_VOID(sign(e, task_key_));
  return e;
}

Result<void> Gateway::send_run(Session& s, const std::string& run_id) {
  RunRepository runs(store_);
  RIS_TRY(auto run, runs.run_of_agent(run_id, s.agent_id));
  if (!run)
    return fail(Errc::not_found, "no such run");
  const auto& [state, task_id] = *run;
  RIS_TRY(auto e, execution_message(s.agent_id, run_id, task_id));
  if (state == "pending")
    RIS_TRY_VOID(runs.mark_dispatched(run_id, now_rfc3339()));
  s.send(e);
  return {};
}

void Gateway::redeliver(Session& s) {
  auto due = RunRepository(store_).due_runs(s.agent_id, now_rfc3339(), false);
  if (!due)
    return log::error("redeliver_failed", {{"agent", s.agent_id}, {"error", due.error().message}});
  for (const auto& run : *due)
    if (auto sent = send_run(s, run); !sent)
      log::error("dispatch_failed", {{"run", run}, {"error", sent.error().message}});
}

void Gateway::handle(Session& s, const std::string& text) {
  if (!s.verified)
    return;  // refused at verify(); the connection is closing
  auto parsed = parse_envelope(text);
  if (!parsed) {
    log::warn("agent_bad_message", {{"agent", s.agent_id}, {"error", parsed.error().message}});
    return;
  }
  Envelope& e = *parsed;
  const std::string& type = e.message_type;
  Result<void> r;
  if (type == "hello") {
    r = agents_.record_hello(s.agent_id, e.payload);
    redeliver(s);
    publish_change(s.space_id, "agents", s.agent_id, {{"event", "connected"}});
    if (connected_handler_)
      connected_handler_(s.agent_id);
  } else if (type == "heartbeat") {
    r = agents_.record_heartbeat(s.agent_id, e.payload);
    publish_change(s.space_id, "agents", s.agent_id,
                   {{"event", "heartbeat"}, {"health", e.payload}});
    auto number = [&](std::string_view k) {
      const auto* v = e.payload.if_contains(k);
      return !v               ? 0.0
             : v->is_int64()  ? static_cast<double>(v->as_int64())
             : v->is_double() ? v->as_double()
                              : 0.0;
    };
    std::lock_guard lock(mu_);
    counters_[s.agent_id] = {number("ris_client_tasks_executed_total"),
                             number("ris_client_memory_usage_bytes")};
  } else if (type == "task_ack") {
    auto started = std::make_shared<bool>(false);
    return commit_then(
        s, e.seq, type,
        [run = e.task_id, agent = s.agent_id, at = now_rfc3339(),
         started](store::Store& tx) -> Result<void> {
          RIS_TRY(*started, RunRepository(tx).mark_running(run, agent, at));
          return {};
        },
        [this, run = e.task_id, started] {
          if (*started)
            publish_run_event(run, {{"type", "run_state"}, {"state", "running"}});
        });
  } else if (type == "task_output") {
    const std::string data = str(e.payload, "data");
    const auto* chunk = e.payload.if_contains("chunk");
    bool stored = false;
    if (chunk && chunk->is_int64()) {
      auto written = RunRepository(store_).append_output(
          e.task_id, s.agent_id, chunk->as_int64(), str(e.payload, "stream"), data,
          static_cast<int64_t>(options_.output_cap_bytes));
      if (written)
        stored = *written == OutputWrite::stored;
      else
        r = fail(written.error());
    }
    if (r && stored)
      publish_run_event(e.task_id, {{"type", "run_output"},
                                    {"seq", chunk->as_int64()},
                                    {"stream", str(e.payload, "stream")},
                                    {"data", data}});
  } else if (type == "task_result") {
    const std::string state = str(e.payload, "status");
    if (!is_final(state)) {
      r = fail(Errc::invalid_argument, "task_result with status \"" + state + "\"");
    } else {
      // A run presumed lost takes its true result when the agent comes back with one.
      auto result = e.payload.if_contains("result");
      RunFinal final{e.task_id,
                     s.agent_id,
                     state,
                     now_rfc3339(),
                     opt_int(e.payload, "exit_code"),
                     opt_int(e.payload, "signal"),
                     str(e.payload, "error"),
                     result ? store::Value(boost::json::serialize(*result)) : store::Value()};
      auto task = std::make_shared<std::optional<std::string>>();
      const auto* code = e.payload.if_contains("exit_code");
      return commit_then(
          s, e.seq, type,
          [final = std::move(final), task](store::Store& tx) -> Result<void> {
            RIS_TRY(*task, RunRepository(tx).finish(final));
            return {};
          },
          [this, run = e.task_id, agent = s.agent_id, state, task,
           exit_code = code ? *code : boost::json::value()] {
            if (!*task)
              return;  // already final: a redelivered result
            if (completed_)
              completed_->with({state}).inc();
            boost::json::object event{{"type", "run_state"}, {"state", state}};
            if (!exit_code.is_null())
              event["exit_code"] = exit_code;
            publish_run_event(run, std::move(event));
            if (finished_handler_)
              finished_handler_({run, **task, agent, state});
          });
    }
  } else if (type == "refused") {
    log::warn("agent_refused_message",
              {{"agent", s.agent_id}, {"run", e.task_id}, {"reason", str(e.payload, "reason")}});
  } else if (message_handler_) {
    r = message_handler_(s.agent_id, e);
  } else {
    log::warn("agent_unknown_message", {{"agent", s.agent_id}, {"type", type}});
  }
  if (!r) {
    // Not acknowledged: the agent keeps it in its outbox and sends it again.
    log::error("agent_message_failed",
               {{"agent", s.agent_id}, {"type", type}, {"error", r.error().message}});
    close_if_store_away(s, r.error());
    return;
  }
  s.acknowledge(e.seq);
}

// An agent resends its outbox when it connects, not while connected: when the database is
// away (or a write kept colliding), closing the session is what makes the agent try again —
// after reconnecting, once the database answers.
void Gateway::close_if_store_away(Session& s, const Error& e) {
  if (e.code == Errc::unavailable || e.code == Errc::busy)
    s.close(1011, "the server could not store a message; reconnect and send it again");
}

void Gateway::commit_then(Session& s, int64_t seq, std::string type, store::GroupCommit::Body body,
                          std::function<void()> after) {
  s.pause();
  commits_.submit(std::move(body), [this, self = s.shared_from_this(), seq, type = std::move(type),
                                    after = std::move(after)](Result<void> r) {
    if (!r) {
      // Not acknowledged: the agent keeps it in its outbox and sends it again.
      log::error("agent_message_failed",
                 {{"agent", self->agent_id}, {"type", type}, {"error", r.error().message}});
      close_if_store_away(*self, r.error());
    } else {
      after();
      self->acknowledge(seq);
    }
    self->resume();
  });
}

bool Gateway::send_control(const std::string& agent_id, Envelope e) {
  auto s = session_of(agent_id);
  if (!s)
    return false;
  e.client_id = agent_id;
  if (auto signed_ok = sign(e, task_key_); !signed_ok) {
    log::error("sign_failed", {{"agent", agent_id}, {"error", signed_ok.error().message}});
    return false;
  }
  s->send(e);
  return true;
}

void Gateway::send_new_run(const std::string& agent_id, const std::string& run_id,
                           const std::string& task_id) {
  auto s = session_of(agent_id);
  if (!s)
    return;
  s->enqueue([this, s, run_id, task_id] {
    auto e = execution_message(s->agent_id, run_id, task_id);
    if (!e)
      return log::error("dispatch_failed", {{"run", run_id}, {"error", e.error().message}});
    s->send(*e);
  });
}

void Gateway::dispatch_pending(const std::string& agent_id) {
  auto s = session_of(agent_id);
  if (!s)
    return;
  // Through the session's queue, so a dispatch never races the session's own redelivery.
  s->enqueue([this, s] {
    auto due = RunRepository(store_).due_runs(s->agent_id, now_rfc3339(), true);
    if (due)
      for (const auto& run : *due)
        (void)send_run(*s, run);
  });
}

void Gateway::cancel(const std::string& agent_id, const std::string& run_id) {
  auto s = session_of(agent_id);
  if (!s)
    return;
  Envelope e;
  e.message_type = "task_cancel";
  e.task_id = run_id;
  e.client_id = agent_id;
  if (sign(e, task_key_))
    s->send(e);
}

void Gateway::disconnect(const std::string& agent_id, uint16_t code, const std::string& reason) {
  auto s = session_of(agent_id);
  if (s)
    s->close(code, reason);
}

bool Gateway::connected(const std::string& agent_id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(agent_id);
  return it != sessions_.end() && !it->second.expired();
}

std::vector<std::string> Gateway::connected_agents() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, w] : sessions_)
    if (!w.expired())
      out.push_back(id);
  return out;
}

int64_t Gateway::connected_count() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(sessions_.size());
}

std::string task_subject(std::string_view space_id, std::string_view task_id) {
  return "space." + std::string(space_id) + ".task." + std::string(task_id);
}

std::string space_subject(std::string_view space_id, std::string_view resource) {
  return "space." + std::string(space_id) + "." + std::string(resource);
}

void Gateway::publish_change(const std::string& space_id, std::string_view resource,
                             std::string_view id, boost::json::object extra) {
  if (!bus_ || space_id.empty() || !bus_->has_subscribers())
    return;
  extra["type"] = "changed";
  extra["resource"] = resource;
  extra["space"] = space_id;
  extra["id"] = id;
  bus_->publish(space_subject(space_id, resource),
                std::make_shared<const std::string>(boost::json::serialize(extra)));
}

void Gateway::publish_run_event(const std::string& run_id, boost::json::object event) {
  if (!bus_ || !bus_->has_subscribers())
    return;
  auto route = RunRepository(store_).route(run_id);
  if (!route || !*route)
    return;
  const std::string task = (*route)->task_id, space = (*route)->space_id;
  event["task"] = task;
  event["run"] = run_id;
  event["agent"] = (*route)->agent_id;
  // Task lists follow state changes, not output.
  if (event["type"] == "run_state")
    publish_change(space, "tasks", task,
                   {{"run", run_id}, {"agent", event["agent"]}, {"state", event["state"]}});
  bus_->publish(task_subject(space, task),
                std::make_shared<const std::string>(boost::json::serialize(event)));
}

void Gateway::export_metrics(metrics::Registry& registry) {
  completed_ = &registry.counter("ris_tasks_completed_total",
                                 "Task runs that reached a final state, by state", {"status"});
  registry.callback_gauge("ris_fleet_tasks_executed",
                          "Sum of ris_client_tasks_executed_total reported by the connected agents "
                          "(a gauge: agents come and go)",
                          [this] {
                            std::lock_guard lock(mu_);
                            double sum = 0;
                            for (const auto& [id, c] : counters_)
                              sum += c.tasks_executed;
                            return sum;
                          });
  registry.callback_gauge("ris_fleet_client_memory_usage_bytes",
                          "Sum of ris_client_memory_usage_bytes reported by the connected agents",
                          [this] {
                            std::lock_guard lock(mu_);
                            double sum = 0;
                            for (const auto& [id, c] : counters_)
                              sum += c.memory_bytes;
                            return sum;
                          });
}

void Gateway::start_sweeper() {
  // Runs that were active when risd last stopped belong to agents that are away until they
  // reconnect: start their grace period now.
  if (auto agents = RunRepository(store_).agents_with_active_runs()) {
    std::lock_guard lock(mu_);
    for (const auto& agent : *agents)
      away_since_.emplace(agent, std::chrono::steady_clock::now());
  }
  sweeper_ = std::thread([this] {
    std::unique_lock lock(sweep_mu_);
    while (!stopping_) {
      sweep_cv_.wait_for(lock, std::chrono::milliseconds(500));
      if (stopping_)
        break;
      lock.unlock();
      sweep();
      lock.lock();
    }
  });
}

void Gateway::sweep() {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = away_since_.begin(); it != away_since_.end();) {
      if (now - it->second >= options_.lost_after) {
        gone.push_back(it->first);
        it = away_since_.erase(it);
      } else {
        ++it;
      }
    }
  }
  RunRepository runs(store_);
  std::vector<FinishedRun> lost;
  for (const auto& agent : gone)
    if (auto marked = runs.mark_lost(agent, now_rfc3339()))
      lost.insert(lost.end(), marked->begin(), marked->end());
  if (auto expired = runs.expire_pending(now_rfc3339()))
    lost.insert(lost.end(), expired->begin(), expired->end());
  for (const auto& l : lost) {
    log::warn("run_lost", {{"run", l.run_id}, {"agent", l.agent_id}});
    if (completed_)
      completed_->with({"lost"}).inc();
    publish_run_event(l.run_id, {{"type", "run_state"}, {"state", "lost"}});
    if (finished_handler_)
      finished_handler_(l);
  }
  // Retries whose back-off has passed go out to their (connected) agents.
  if (auto due = runs.agents_with_due_retries(now_rfc3339()))
    for (const auto& agent : *due)
      dispatch_pending(agent);
}

void Gateway::stop() {
  {
    std::lock_guard lock(sweep_mu_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable())
    sweeper_.join();
}

}  // namespace ris::fleet
