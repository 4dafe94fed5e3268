#include "deploy_agents.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "processes.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/net/client.hpp"

extern char** environ;

namespace ris::bench {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

struct Agent {
  std::string id, key, cert, source;
  std::shared_ptr<const net::PreparedTls> tls;
  std::shared_ptr<net::WsClient> ws;
  int64_t seq = 0;
  bool open = false;
};

struct Job {
  Agent* agent;
  std::string run, script;
  std::vector<std::string> env;  // NAME=VALUE, added to risbench's own
};

// `/bin/sh -c script`, stdin/stdout/stderr on /dev/null; its exit code (128+N for signal N).
int run_script(const Job& job) {
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e)
    env_text.emplace_back(*e);
  env_text.insert(env_text.end(), job.env.begin(), job.env.end());
  std::vector<char*> envp;
  for (auto& s : env_text)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", c = "-c", script = job.script;
  char* argv[] = {sh.data(), c.data(), script.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd)
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

struct ShellAgents::Impl {
  std::string ca;
  net::Url url;
  net::ClientLoop loop;  // declared before the agents: their connections go first
  std::vector<std::unique_ptr<Agent>> agents;
  size_t next = 0, connecting = 0;
  static constexpr size_t kMaxConnecting = 100;
  std::atomic<size_t> opened{0};
  std::atomic<int64_t> ok{0}, failed{0};
  mutable std::mutex mu;
  std::string last_close;
  std::condition_variable cv;
  std::deque<Job> jobs;
  bool stopping = false;
  std::vector<std::thread> runners;
  std::thread loop_thread;

  void connect_more() {
    while (connecting < kMaxConnecting && next < agents.size()) {
      ++connecting;
      connect(*agents[next++]);
    }
  }

  void connect(Agent& a) {
    net::Url u = url;
    u.source_address = a.source;
    a.ws = net::WsClient::connect(
        loop, u, a.tls,
        {.on_open = [this, &a] { on_open(a); },
         .on_message = [this, &a](std::string_view text) { on_message(a, text); },
         .on_close =
             [this, &a](std::string reason) {
               {
                 std::lock_guard lock(mu);
                 last_close = reason;
               }
               if (a.open)
                 --opened;
               else {
                 --connecting;
                 connect_more();
               }
               a.open = false;
               a.ws.reset();
             }},
        60s);
  }

  void send(Agent& a, fleet::Envelope e) {
    e.client_id = a.id;
    if (a.ws)
      a.ws->send(fleet::serialize(e));
  }

  void on_open(Agent& a) {
    --connecting;
    a.open = true;
    a.seq = 1;
    ++opened;
    fleet::Envelope hello;
    hello.message_type = "hello";
    hello.payload = {{"hostname", "bench"},
                     {"os", "linux"},
                     {"architecture", "x86_64"},
                     {"agent_version", "bench"},
                     {"addresses", json::array{a.source}},
                     {"capabilities", json::array{}}};
    send(a, std::move(hello));
    loop.after(std::chrono::milliseconds(std::hash<std::string>{}(a.id) % 10'000),
               [this, &a] { heartbeat(a); });
    connect_more();
  }

  void heartbeat(Agent& a) {
    if (!a.open)
      return;
    fleet::Envelope e;
    e.message_type = "heartbeat";
    e.payload = {{"load_1m", 0.1}, {"memory_used_percent", 10.0}, {"running_tasks", 0}};
    send(a, std::move(e));
    loop.after(10s, [this, &a] { heartbeat(a); });
  }

  void on_message(Agent& a, std::string_view text) {
    auto parsed = fleet::parse_envelope(text);
    if (!parsed || parsed->message_type != "task_execution")
      return;
    fleet::Envelope& e = *parsed;
    fleet::Envelope ack;
    ack.message_type = "task_ack";
    ack.task_id = e.task_id;
    send(a, std::move(ack));
    Job job{&a, e.task_id, {}, {}};
    if (const auto* p = e.payload.if_contains("parameters"); p && p->is_object()) {
      if (const auto* s = p->as_object().if_contains("script"); s && s->is_string())
        job.script = std::string(s->as_string());
      if (const auto* env = p->as_object().if_contains("env"); env && env->is_object())
        for (const auto& [k, v] : env->as_object())
          if (v.is_string())
            job.env.push_back(std::string(k) + "=" + std::string(v.as_string()));
    }
    std::lock_guard lock(mu);
    jobs.push_back(std::move(job));
    cv.notify_one();
  }

  void runner() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (stopping)
          return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      const int code = run_script(job);
      (code == 0 ? ok : failed) += 1;
      loop.post([this, a = job.agent, run = job.run, code] { finish(*a, run, code); });
    }
  }

  void finish(Agent& a, const std::string& run, int code) {
    fleet::Envelope r;
    r.message_type = "task_result";
    r.task_id = run;
    r.seq = ++a.seq;
    r.payload = {{"status", code == 0 ? "succeeded" : "failed"}, {"exit_code", code}};
    send(a, std::move(r));
  }
};

ShellAgents::ShellAgents(const std::string& server, const std::filesystem::path& ca_file,
                         const std::filesystem::path& identities, size_t count, size_t runners)
    : impl_(std::make_unique<Impl>()) {
  auto url = net::parse_https_url(server);
  if (!url)
    throw std::runtime_error(url.error().message);
  impl_->url = *url;
  impl_->url.target = "/agent/v1";
  impl_->ca = read_file(ca_file);
  std::ifstream in(identities);
  std::string line;
  for (size_t i = 0; i < count && std::getline(in, line); ++i) {
    auto v = json::parse(line).as_object();
    auto a = std::make_unique<Agent>();
    a->id = std::string(v.at("id").as_string());
    a->key = std::string(v.at("key").as_string());
    a->cert = std::string(v.at("cert").as_string());
    a->source = "127.2." + std::to_string(i / 250 % 256) + "." + std::to_string(i % 250 + 1);
    auto prepared = net::prepare_tls(net::ClientTls{impl_->ca, "", a->cert, a->key});
    if (!prepared)
      throw std::runtime_error("agent " + a->id + ": " + prepared.error().message);
    a->tls = std::move(*prepared);
    impl_->agents.push_back(std::move(a));
  }
  if (impl_->agents.size() < count)
    throw std::runtime_error("fewer identities than agents in " + identities.string());
  for (size_t r = 0; r < runners; ++r)
    impl_->runners.emplace_back([this] { impl_->runner(); });
  impl_->loop.post([this] { impl_->connect_more(); });
  impl_->loop_thread = std::thread([this] { impl_->loop.run(); });
}

ShellAgents::~ShellAgents() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->runners)
    t.join();
  impl_->loop.post([this] {
    for (auto& a : impl_->agents)
      if (a->ws)
        a->ws->close();
  });
  std::this_thread::sleep_for(300ms);
  impl_->loop.stop();
  impl_->loop_thread.join();
}

size_t ShellAgents::opened() const {
  return impl_->opened;
}
int64_t ShellAgents::scripts_ok() const {
  return impl_->ok;
}
int64_t ShellAgents::scripts_failed() const {
  return impl_->failed;
}
std::string ShellAgents::last_close() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_close;
}

}  // namespace ris::bench
