#include "ris/agent/agent.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <random>

#include "docker_ops.hpp"
#include "executors/builtin.hpp"
#include "health.hpp"
#include "reconciler.hpp"
#include "ris/agent/state.hpp"
#include "ris/core/base64.hpp"
#include "ris/core/log.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/net/client.hpp"
#include "ris/security/ca.hpp"
#include "rtt.hpp"

namespace ris::agent {
namespace {
constexpr size_t kChunkBytes = 64 * 1024;

std::string str(const boost::json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
}  // namespace

Result<std::string> join(const JoinOptions& o) {
  if (o.token.empty() || o.ca_hash.empty())
    return fail(Errc::invalid_argument,
                "--token and --ca-hash are required (risd prints the CA hash at start)");
  if (!o.ca_hash.starts_with("sha256:") || o.ca_hash.size() != 71)
    return fail(Errc::invalid_argument, "--ca-hash must look like sha256:<64 hex digits>");
  RIS_TRY(auto url, net::parse_https_url(o.server_url));
  RIS_TRY(auto csr, security::new_client_key_and_csr("ris-agent"));
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  boost::json::object body{{"token", o.token},
                           {"csr", csr.csr_pem},
                           {"name", o.name.empty() ? host : o.name},
                           {"hostname", host}};
  net::ClientTls tls;
  tls.ca_sha256 = o.ca_hash;
  RIS_TRY(auto reply, net::https_request(url, tls, "POST", "/api/v1/agents/enrol",
                                         boost::json::serialize(body), std::chrono::seconds(30)));
  boost::json::error_code ec;
  auto v = boost::json::parse(reply.body, ec);
  if (reply.status != 200 || ec || !v.is_object()) {
    std::string detail = reply.body;
    if (!ec && v.is_object())
      detail = str(v.as_object(), "detail");
    return fail(reply.status == 401 ? Errc::unauthenticated : Errc::unavailable,
                "enrolment refused (HTTP " + std::to_string(reply.status) + "): " + detail);
  }
  const auto& r = v.as_object();
  Identity id;
  id.agent_id = str(r, "agent_id");
  id.space_id = str(r, "space_id");
  id.task_public_key = str(r, "task_public_key");
  id.cert_pem = str(r, "certificate");
  id.key_pem = csr.key_pem;
  id.ca_pem = reply.server_ca_pem;
  id.servers = {o.server_url};
  if (id.agent_id.empty() || id.cert_pem.empty() || id.task_public_key.empty())
    return fail(Errc::internal, "the server's enrolment answer is incomplete");
  RIS_TRY_VOID(save_identity(o.state_dir, id));
  return id.agent_id;
}

struct Agent::Impl {
  AgentOptions opt;
  Identity id;
  std::unique_ptr<ExecutedLog> executed;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<fleet::ReplayGuard> guard;  // loop thread only
  net::ClientLoop loop;
  std::unique_ptr<WorkerPool> runners;
  std::unique_ptr<DockerClient> docker;
  std::unique_ptr<ExecutorRegistry> executors;   // by task type; built at start
  std::unique_ptr<security::SecretBox> secrets;  // seals what the reconciler keeps on disk
  std::unique_ptr<Reconciler> reconciler;
  std::string current_server;  // guarded by mu: where image archives are fetched from

  // Loop-thread state.
  std::shared_ptr<net::WsClient> ws;
  std::shared_ptr<const net::PreparedTls> tls;  // the identity as a TLS context, made once
  bool open = false;
  size_t server_index = 0;
  std::chrono::milliseconds backoff{500};
  std::function<void()> cancel_heartbeat;
  std::vector<std::string> ordered;  // servers, nearest first; re-measured after each failed round
  boost::json::value addresses;      // this host's addresses when the connection opened
  std::mt19937 rng{std::random_device{}()};

  std::mutex mu;
  std::map<std::string, std::shared_ptr<CancelFlag>> running;
  std::atomic<int64_t> executed_total{0};
  std::atomic<bool> stopping{false};

  explicit Impl(AgentOptions o) : opt(std::move(o)) {}

  void send_now(std::string text) {
    loop.post([this, text = std::move(text)]() mutable {
      if (ws && open)
        ws->send(std::move(text));
    });
  }

  // Output and results go through the outbox: stored first, then sent; resent until acked.
  void send_durably(boost::json::object message, bool durable) {
    auto stored = outbox->add(std::move(message), durable);
    if (!stored) {
      log::error("outbox_write_failed", {{"error", stored.error().message}});
      return;
    }
    send_now(std::move(stored->second));
  }

  void report(const std::string& run_id, const std::string& status, boost::json::object extra) {
    fleet::Envelope e;
    e.message_type = "task_result";
    e.task_id = run_id;
    e.client_id = id.agent_id;
    e.payload = std::move(extra);
    e.payload["status"] = status;
    auto v = boost::json::parse(fleet::serialize(e));
    send_durably(std::move(v.as_object()), true);
    (void)executed->finish(run_id);
    ++executed_total;
  }

  void connect() {
    if (stopping)
      return;
    // Measured once per round through the list: the nearest reachable server first.
    if (ordered.empty() || server_index % ordered.size() == 0) {
      std::vector<std::string> servers = id.servers;
      servers.insert(servers.end(), opt.extra_servers.begin(), opt.extra_servers.end());
      ordered = order_by_rtt(servers, std::chrono::milliseconds(500));
    }
    const std::string server = ordered[server_index % ordered.size()];
    auto url = net::parse_https_url(server);
    if (!url) {
      log::error("bad_server_url", {{"url", server}, {"error", url.error().message}});
      return retry();
    }
    url->target = "/agent/v1";
    if (!tls) {
      auto prepared = net::prepare_tls(net::ClientTls{id.ca_pem, "", id.cert_pem, id.key_pem});
      if (!prepared) {
        log::error("agent_identity_unusable", {{"error", prepared.error().message}});
        return retry();
      }
      tls = std::move(*prepared);
    }
    log::info("agent_connecting", {{"server", server}});
    net::WsClient::Callbacks cb;
    cb.on_open = [this, server] { on_open(server); };
    cb.on_message = [this](std::string_view text) { on_message(text); };
    cb.on_close = [this](std::string reason) { on_close(std::move(reason)); };
    ws = net::WsClient::connect(loop, *url, tls, std::move(cb), std::chrono::seconds(10),
                                fleet::kMaxAgentMessageBytes);
  }

  void retry() {
    if (stopping)
      return;
    ++server_index;  // a dead server costs one attempt; the next one is tried
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    const auto delay = std::chrono::milliseconds(jitter(rng));
    backoff = std::min(backoff * 2, opt.max_backoff);
    log::info("agent_reconnect_scheduled", {{"delay_ms", static_cast<int64_t>(delay.count())}});
    loop.after(delay, [this] { connect(); });
  }

  void on_open(const std::string& server) {
    open = true;
    backoff = std::chrono::milliseconds(500);
    server_index = 0;
    log::info("agent_connected", {{"server", server}, {"agent", id.agent_id}});
    {
      std::lock_guard lock(mu);
      current_server = server;
    }
    fleet::Envelope hello;
    hello.message_type = "hello";
    hello.client_id = id.agent_id;
    hello.payload = host_facts();
    hello.payload["capabilities"] = executors->capabilities();
    addresses = hello.payload["addresses"];
    ws->send(fleet::serialize(hello));
    for (auto& text : outbox->pending())
      ws->send(std::move(text));
    heartbeat();
    reconciler->resend_status();
  }

  void send_status(boost::json::object status) {
    fleet::Envelope e;
    e.message_type = "service_status";
    e.client_id = id.agent_id;
    e.payload = std::move(status);
    send_now(fleet::serialize(e));
  }

  // Image archives come from the server this agent is connected to, over mutual TLS.
  Result<ImageArchive> fetch_archive(const std::string& archive_id) {
    std::string server;
    {
      std::lock_guard lock(mu);
      server = current_server;
    }
    if (server.empty())
      return fail(Errc::unavailable, "not connected to a server: cannot fetch image archives");
    RIS_TRY(auto url, net::parse_https_url(server));
    net::ClientTls tls{id.ca_pem, "", id.cert_pem, id.key_pem};
    RIS_TRY(auto reply, net::https_request(url, tls, "GET", "/agent/v1/images/" + archive_id, {},
                                           std::chrono::minutes(10)));
    if (reply.status != 200)
      return fail(Errc::unavailable, "fetching image archive " + archive_id + " failed: HTTP " +
                                         std::to_string(reply.status));
    const bool rootfs = reply.content_type.find("format=rootfs") != std::string::npos;
    return ImageArchive{rootfs ? "rootfs" : "image", std::move(reply.body)};
  }

  void heartbeat() {
    if (!open)
      return;
    int64_t n;
    {
      std::lock_guard lock(mu);
      n = static_cast<int64_t>(running.size());
    }
    fleet::Envelope e;
    e.message_type = "heartbeat";
    e.client_id = id.agent_id;
    e.payload = sample_health(n, executed_total);
    ws->send(fleet::serialize(e));
    // A changed address (DHCP, roaming, failover) may have left the connection on a dead
    // route: reconnect once rather than wait for timeouts.
    if (host_facts()["addresses"] != addresses) {
      log::info("host_addresses_changed", {});
      ws->close();
      return;
    }
    cancel_heartbeat = loop.after(opt.heartbeat_interval, [this] { heartbeat(); });
  }

  void on_close(std::string reason) {
    const bool was_open = open;
    open = false;
    ws.reset();
    if (cancel_heartbeat)
      cancel_heartbeat();
    if (stopping)
      return;
    log::warn(was_open ? "agent_disconnected" : "agent_connect_failed", {{"reason", reason}});
    retry();
  }

  void refuse(const fleet::Envelope& e, const std::string& reason) {
    log::warn("control_message_refused",
              {{"run", e.task_id}, {"type", e.message_type}, {"reason", reason}});
    fleet::Envelope r;
    r.message_type = "refused";
    r.task_id = e.task_id;
    r.client_id = id.agent_id;
    r.payload = {{"reason", reason}};
    if (ws && open)
      ws->send(fleet::serialize(r));
  }

  // The cluster's servers, from the server this agent is connected to (over the TLS channel
  // its pinned CA vouches for): kept on disk, so that after a restart the agent still knows
  // where to go when the server it enrolled with is gone. Re-ordered by RTT at the next round.
  void learn_servers(const boost::json::object& payload) {
    const auto* list = payload.if_contains("servers");
    if (!list || !list->is_array() || list->as_array().empty())
      return;  // a server from before clusters, or one that could not read the list
    std::vector<std::string> servers;
    for (const auto& u : list->as_array()) {
      if (servers.size() == 64)
        break;
      if (u.is_string() && net::parse_https_url(std::string(u.as_string())))
        servers.emplace_back(u.as_string());
    }
    if (servers.empty() || servers == id.servers)
      return;
    id.servers = std::move(servers);
    ordered.clear();
    server_index = 0;
    if (auto saved = save_identity(opt.state_dir, id); !saved)
      log::error("servers_not_saved", {{"error", saved.error().message}});
    boost::json::array shown(id.servers.begin(), id.servers.end());
    log::info("cluster_servers_learnt", {{"servers", std::move(shown)}});
  }

  void on_message(std::string_view text) {
    auto parsed = fleet::parse_envelope(text);
    if (!parsed)
      return log::warn("server_bad_message", {{"error", parsed.error().message}});
    fleet::Envelope& e = *parsed;
    if (e.message_type == "ack") {
      if (const auto* up = e.payload.if_contains("up_to"); up && up->is_int64())
        outbox->acknowledge(up->as_int64());
      return;
    }
    if (e.message_type == "hello_ack" || e.message_type == "cluster_servers")
      return learn_servers(e.payload);
    if (!fleet::is_control(e.message_type))
      return;
    if (auto ok = guard->check(e); !ok)
      return refuse(e, ok.error().message);
    if (e.client_id != id.agent_id)
      return refuse(e, "control message for another agent");
    if (e.message_type == "services_desired") {
      const auto* list = e.payload.if_contains("services");
      reconciler->set_desired(list && list->is_array() ? list->as_array() : boost::json::array{});
      return;
    }
    if (e.message_type == "task_cancel") {
      std::lock_guard lock(mu);
      if (auto it = running.find(e.task_id); it != running.end())
        it->second->cancelled = true;
      return;
    }
    // task_execution: never twice. A redelivered run we already started is acknowledged again;
    // its result (if any) is in the outbox and was resent on connect.
    auto started = executed->start(e.task_id);
    if (!started)
      return refuse(e, started.error().message);
    fleet::Envelope ack;
    ack.message_type = "task_ack";
    ack.task_id = e.task_id;
    ack.client_id = id.agent_id;
    ws->send(fleet::serialize(ack));
    if (!*started)
      return;
    auto flag = std::make_shared<CancelFlag>();
    {
      std::lock_guard lock(mu);
      running[e.task_id] = flag;
    }
    runners->post([this, e, flag] { execute(e, *flag); });
  }

  void execute(const fleet::Envelope& e, const CancelFlag& flag) {
    const std::string run = e.task_id;
    const std::string type = str(e.payload, "task_type");
    boost::json::object params;
    if (const auto* p = e.payload.if_contains("parameters"); p && p->is_object())
      params = p->as_object();
    int64_t chunk = 0;
    auto emit = [&](std::string_view stream, std::string_view data) {
      while (!data.empty()) {
        const auto piece = data.substr(0, kChunkBytes);
        data.remove_prefix(piece.size());
        fleet::Envelope out;
        out.message_type = "task_output";
        out.task_id = run;
        out.client_id = id.agent_id;
        out.payload = {{"stream", stream}, {"data", piece}, {"chunk", ++chunk}};
        send_durably(boost::json::parse(fleet::serialize(out)).as_object(), false);
      }
    };
    std::optional<std::chrono::seconds> timeout;
    if (const auto* t = e.payload.if_contains("timeout_seconds"); t && t->is_int64())
      timeout = std::chrono::seconds(t->as_int64());
    auto outcome = executors->run(type, RunContext{run, std::move(params), timeout, emit, flag});
    report(run, outcome.status, std::move(outcome.extra));
    std::lock_guard lock(mu);
    running.erase(run);
  }
};

Agent::Agent(AgentOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Agent::~Agent() {
  stop();
}

Result<void> Agent::run() {
  auto& m = *impl_;
  RIS_TRY(m.id, load_identity(m.opt.state_dir));
  RIS_TRY(auto* executed, ExecutedLog::open(m.opt.state_dir));
  m.executed.reset(executed);
  RIS_TRY(auto* outbox, Outbox::open(m.opt.state_dir));
  m.outbox.reset(outbox);
  auto key = base64url_decode(m.id.task_public_key);
  if (!key || key->size() != 32)
    return fail(Errc::invalid_argument, "the stored task key is invalid: join again");
  m.guard = std::make_unique<fleet::ReplayGuard>(*key, m.opt.replay_window);
  m.runners = std::make_unique<WorkerPool>(std::max(1u, m.opt.max_parallel_runs));
  m.docker = std::make_unique<DockerClient>(m.opt.docker_socket);
  RIS_TRY(auto executors, builtin_executors({*m.docker, m.id.agent_id, [&m](const std::string& a) {
                                               return m.fetch_archive(a);
                                             }}));
  m.executors = std::make_unique<ExecutorRegistry>(std::move(executors));
  bool created = false;
  RIS_TRY(auto secrets,
          security::SecretBox::load_or_create(m.opt.state_dir / "master.key", &created));
  if (created)
    log::info("agent_master_key_created", {{"key_id", secrets.current_key_id()}});
  m.secrets = std::make_unique<security::SecretBox>(std::move(secrets));
  m.reconciler = std::make_unique<Reconciler>(
      *m.docker, *m.secrets,
      ReconcilerOptions{m.id.agent_id, m.id.space_id, m.opt.state_dir, m.opt.reconcile_interval},
      [&m](const std::string& a) { return m.fetch_archive(a); },
      [&m](boost::json::object status) { m.send_status(std::move(status)); });
  m.reconciler->start();
  // Runs cut short by a crash or restart of this agent end as lost, with the reason.
  for (const auto& run : m.executed->unfinished()) {
    log::warn("run_interrupted", {{"run", run}});
    m.report(run, "lost", {{"error", "the agent restarted while the run was in progress"}});
  }
  log::info("agent_started",
            {{"agent", m.id.agent_id}, {"servers", static_cast<int64_t>(m.id.servers.size())}});
  m.loop.post([&m] { m.connect(); });
  m.loop.run();
  m.reconciler->stop();
  return {};
}

void Agent::stop() {
  auto& m = *impl_;
  if (m.stopping.exchange(true))
    return;
  m.loop.post([&m] {
    if (m.ws)
      m.ws->close();
  });
  {
    std::lock_guard lock(m.mu);
    for (auto& [run, flag] : m.running)
      flag->cancelled = true;
  }
  m.loop.after(std::chrono::milliseconds(200), [&m] { m.loop.stop(); });
}

}  // namespace ris::agent
