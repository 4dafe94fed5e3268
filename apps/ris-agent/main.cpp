// ris-agent: enrol with `join`, then `run` as a service (deploy/systemd/ris-agent.service).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "calls.hpp"
#include "ris/agent/agent.hpp"
#include "ris/core/config.hpp"
#include "ris/core/log.hpp"

namespace {
constexpr const char* kUsage = R"(ris-agent — runs RIS tasks on this host

Usage:
  ris-agent join URL --token TOKEN --ca-hash sha256:HEX [--name NAME] [--state-dir DIR]
      Enrol with the risd at URL (https://host:8057). The server's CA is pinned by its hash
      (risd prints it at start; `POST /api/v1/spaces/{space}/agents/join-tokens` returns it too).
  ris-agent run [--state-dir DIR] [--server URL]... [--heartbeat DURATION] [--parallel N]
      Stay connected and execute tasks. Reconnects by itself; stop with SIGTERM.

With the agent's identity, for tasks and local processes on this host (tasks the agent runs
find its state directory in RIS_AGENT_STATE_DIR):
  ris-agent kv get KEY                       a key under config/ of the agent's space
  ris-agent kv watch PREFIX [--from-revision N] [--limit N]
                                             its changes, one line each: REVISION OP KEY VALUE
  ris-agent pub TOPIC MESSAGE [--key IDEMPOTENCY-KEY] [--content-type TYPE]
  ris-agent sub TOPIC SUBSCRIPTION [--limit N]
                                             consume (one line each: SEQ BODY) and acknowledge
  Topics let agents publish or consume by their "agents" setting (docs/queues.md).

Options (environment in brackets):
  --state-dir DIR      identity, outbox and executed-run log [RIS_AGENT_STATE_DIR] (/var/lib/ris-agent)
  --server URL         another risd to fall back to (repeatable)
  --heartbeat DURATION health report interval [RIS_AGENT_HEARTBEAT] (10s)
  --parallel N         runs executed at once (8)
  --docker-socket PATH the Docker Engine API's socket [DOCKER_HOST as unix://PATH]
                       (/var/run/docker.sock); Docker absent: docker tasks and services fail
                       with a clear error, everything else works
  --reconcile DURATION how often services are checked against Docker (2s)
  --log-level LEVEL    debug, info, warn, error [RIS_LOG_LEVEL] (info)
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ris-agent: %s\n(see ris-agent --help)\n", message.c_str());
  return 2;
}

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
// kv get|watch, pub, sub: positional arguments, then their options.
int calls(const std::vector<std::string>& args) {
  ris::agent_cli::CallOptions o;
  o.state_dir = env_or("RIS_AGENT_STATE_DIR", "/var/lib/ris-agent");
  std::string verb = args[0];
  size_t i = 1;
  if (verb == "kv") {
    if (args.size() < 2 || (args[1] != "get" && args[1] != "watch"))
      return usage_error("kv get KEY | kv watch PREFIX");
    verb = "kv " + args[1];
    i = 2;
  }
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "ris-agent: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--state-dir")
      o.state_dir = value();
    else if (a == "--limit")
      o.limit = std::atoll(value().c_str());
    else if (a == "--from-revision")
      o.from_revision = std::atoll(value().c_str());
    else if (a == "--key")
      o.idempotency_key = value();
    else if (a == "--content-type")
      o.content_type = value();
    else if (a.starts_with("--"))
      return usage_error("unknown option \"" + a + "\"");
    else
      o.args.push_back(a);
  }
  const size_t wanted = verb == "pub" || verb == "sub" ? 2 : 1;
  if (o.args.size() != wanted)
    return usage_error(verb == "pub"      ? "pub TOPIC MESSAGE"
                       : verb == "sub"    ? "sub TOPIC SUBSCRIPTION"
                       : verb == "kv get" ? "kv get KEY"
                                          : "kv watch PREFIX");
  ris::log::init(ris::log::Level::warn);
  if (verb == "kv get")
    return ris::agent_cli::kv_get(o);
  if (verb == "kv watch")
    return ris::agent_cli::kv_watch(o);
  if (verb == "pub")
    return ris::agent_cli::publish(o);
  return ris::agent_cli::subscribe(o);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  if (command == "kv" || command == "pub" || command == "sub")
    return calls(args);
  std::string url, token, ca_hash, name,
      state_dir = env_or("RIS_AGENT_STATE_DIR", "/var/lib/ris-agent");
  std::string log_level = env_or("RIS_LOG_LEVEL", "info"),
              heartbeat = env_or("RIS_AGENT_HEARTBEAT", "10s"), reconcile = "2s";
  std::string docker_socket = env_or("DOCKER_HOST", "unix:///var/run/docker.sock");
  std::vector<std::string> servers;
  unsigned parallel = 8;
  for (size_t i = 1; i < args.size(); ++i) {
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "ris-agent: %s needs a value\n", flag);
        std::exit(2);
      }
      return args[++i];
    };
    const std::string& a = args[i];
    if (a == "--token")
      token = value("--token");
    else if (a == "--ca-hash")
      ca_hash = value("--ca-hash");
    else if (a == "--name")
      name = value("--name");
    else if (a == "--state-dir")
      state_dir = value("--state-dir");
    else if (a == "--server")
      servers.push_back(value("--server"));
    else if (a == "--heartbeat")
      heartbeat = value("--heartbeat");
    else if (a == "--parallel")
      parallel = static_cast<unsigned>(std::atoi(value("--parallel").c_str()));
    else if (a == "--docker-socket")
      docker_socket = value("--docker-socket");
    else if (a == "--reconcile")
      reconcile = value("--reconcile");
    else if (a == "--log-level")
      log_level = value("--log-level");
    else if (!a.starts_with("--") && url.empty() && command == "join")
      url = a;
    else
      return usage_error("unknown argument \"" + a + "\"");
  }
  ris::log::Level level = ris::log::Level::info;
  if (!ris::log::parse_level(log_level, level))
    return usage_error("--log-level must be debug, info, warn or error");
  ris::log::init(level);

  if (command == "join") {
    if (url.empty())
      return usage_error("join needs the server URL");
    auto id = ris::agent::join({url, token, ca_hash, name, state_dir});
    if (!id) {
      std::fprintf(stderr, "ris-agent: join failed: %s\n", id.error().message.c_str());
      return 1;
    }
    std::printf("enrolled as agent %s; state in %s\nnext: ris-agent run --state-dir %s\n",
                id->c_str(), state_dir.c_str(), state_dir.c_str());
    return 0;
  }
  if (command != "run")
    return usage_error("unknown command \"" + command + "\" (join, run, kv, pub, sub)");
  auto hb = ris::parse_duration(heartbeat);
  if (!hb || hb->count() < 100)
    return usage_error("--heartbeat must be a duration of at least 100ms, like 10s");
  if (parallel < 1 || parallel > 256)
    return usage_error("--parallel must be between 1 and 256");
  auto reconcile_every = ris::parse_duration(reconcile);
  if (!reconcile_every || reconcile_every->count() < 100)
    return usage_error("--reconcile must be a duration of at least 100ms, like 2s");
  if (docker_socket.starts_with("unix://"))
    docker_socket = docker_socket.substr(7);
  if (!docker_socket.starts_with("/"))
    return usage_error("--docker-socket must be a Unix socket path (or unix://PATH)");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ris::agent::AgentOptions options;
  options.state_dir = state_dir;
  // Tasks inherit it: `ris-agent pub …` in a task uses this agent's identity.
  setenv("RIS_AGENT_STATE_DIR", std::filesystem::absolute(state_dir).c_str(), 1);
  options.extra_servers = servers;
  options.heartbeat_interval = *hb;
  options.max_parallel_runs = parallel;
  options.docker_socket = docker_socket;
  options.reconcile_interval = *reconcile_every;
  ris::agent::Agent agent(options);
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    ris::log::info("agent_stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    agent.stop();
  });
  auto r = agent.run();
  if (!r) {
    std::fprintf(stderr, "ris-agent: %s\n", r.error().message.c_str());
    pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    return 1;
  }
  watcher.join();
  ris::log::flush();
  return 0;
}
