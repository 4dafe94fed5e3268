// `risbench sim`: many simulated agents on one event loop (see workers.hpp).
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "processes.hpp"
#include "ris/fleet/protocol.hpp"
#include "ris/net/client.hpp"
#include "workers.hpp"

namespace ris::bench {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

int64_t param(const json::object& p, std::string_view k) {
  const auto* v = p.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : 0;
}

struct SimAgent {
  std::string id, key, cert;
  std::string source;                           // loopback address to connect from
  std::shared_ptr<const net::PreparedTls> tls;  // made at the first connect, kept for reconnects
  std::shared_ptr<net::WsClient> ws;
  int64_t seq = 0;
  uint64_t generation = 0;  // of the connection: a heartbeat timer of an earlier one stops
  // Reconnecting (SimOptions::servers): this agent's order of the servers, where it is in it,
  // its back-off, and whether it lost a connection and waits to be accepted again.
  std::vector<size_t> order;
  size_t position = 0, current = 0;
  std::chrono::milliseconds backoff{500};
  bool rehoming = false;
  // Runs whose result waits for risd's ack: result seq → (run, first chunk time, chunks).
  struct Waiting {
    std::string run;
    int64_t first_ns = 0, chunks = 0;
  };
  std::map<int64_t, Waiting> waiting;
};

class Sim {
 public:
  explicit Sim(const SimOptions& o) : o_(o) {
    auto url = net::parse_https_url(o.server);
    if (!url)
      throw std::runtime_error(url.error().message);
    url_ = *url;
    url_.target = "/agent/v1";
    for (const auto& server : o.servers) {
      auto u = net::parse_https_url(server);
      if (!u)
        throw std::runtime_error(u.error().message);
      u->target = "/agent/v1";
      if (u->port == url_.port)
        first_server_ = servers_.size();
      servers_.push_back(*u);
    }
    ca_ = read_file(o.ca_file);
    std::ifstream in(o.identities);
    std::string line;
    for (size_t i = 0; std::getline(in, line) && i < o.to; ++i) {
      if (i < o.from)
        continue;
      auto v = json::parse(line).as_object();
      auto a = std::make_unique<SimAgent>();
      a->id = std::string(v.at("id").as_string());
      a->key = std::string(v.at("key").as_string());
      a->cert = std::string(v.at("cert").as_string());
      // 127.1.x.y: 250 agents per source address.
      a->source = "127.1." + std::to_string(i / 250 % 256) + "." + std::to_string(i % 250 + 1);
      // ris-agent orders its servers by measured round-trip time; on loopback they tie, so
      // each agent's order is a shuffle of its own.
      for (size_t k = 0; k < servers_.size(); ++k)
        a->order.push_back(k);
      std::shuffle(a->order.begin(), a->order.end(), rng_);
      a->current = first_server_;
      agents_.push_back(std::move(a));
    }
  }

  int run() {
    loop_.post([this] { connect_more(); });
    loop_.run();
    return 0;
  }

 private:
  void connect_more() {
    while (connecting_ < o_.max_connecting && next_ < agents_.size()) {
      ++connecting_;
      connect(*agents_[next_++]);
    }
  }

  void connect(SimAgent& a) {
    if (a.rehoming)
      a.current = a.order[a.position % a.order.size()];
    net::Url url = a.rehoming ? servers_[a.current] : url_;
    url.source_address = a.source;
    if (!a.tls) {
      auto prepared = net::prepare_tls(net::ClientTls{ca_, "", a.cert, a.key});
      if (!prepared)
        throw std::runtime_error("agent " + a.id + ": " + prepared.error().message);
      a.tls = std::move(*prepared);
    }
    a.ws = net::WsClient::connect(
        loop_, url, a.tls,
        {.on_open = [this, &a] { on_open(a); },
         .on_message = [this, &a](std::string_view text) { on_message(a, text); },
         .on_close =
             [this, &a](std::string reason) {
               std::printf("closed %s\n", reason.c_str());
               std::fflush(stdout);
               a.ws.reset();
               if (!servers_.empty() && (a.seq || a.rehoming))
                 return reconnect(a);
               if (!a.seq) {  // never opened: a connection attempt ended
                 --connecting_;
                 connect_more();
               }
             }},
        60s);
  }

  // As ris-agent's retry(): the next server, after a jittered, doubling delay.
  void reconnect(SimAgent& a) {
    if (!a.rehoming)  // the server that went down: the next one after it in this agent's order
      a.position = static_cast<size_t>(std::find(a.order.begin(), a.order.end(), a.current) -
                                       a.order.begin());
    a.rehoming = true;
    a.seq = 0;
    a.waiting.clear();
    ++a.position;
    std::uniform_int_distribution<int64_t> jitter(a.backoff.count() / 2, a.backoff.count());
    const auto delay = std::chrono::milliseconds(jitter(rng_));
    a.backoff = std::min(a.backoff * 2, std::chrono::milliseconds(30'000));
    loop_.after(delay, [this, &a] { connect(a); });
  }

  void send(SimAgent& a, fleet::Envelope e) {
    e.client_id = a.id;
    a.ws->send(fleet::serialize(e));
  }

  void on_open(SimAgent& a) {
    const bool first = !a.rehoming;
    if (first)
      --connecting_;
    a.seq = 1;
    a.backoff = std::chrono::milliseconds(500);
    const uint64_t generation = ++a.generation;
    std::printf("open\n");
    std::fflush(stdout);
    fleet::Envelope hello;
    hello.message_type = "hello";
    hello.payload = {{"hostname", "bench"},
                     {"os", "linux"},
                     {"architecture", "x86_64"},
                     {"agent_version", "bench"},
                     {"addresses", json::array{a.source}},
                     {"capabilities", json::array{}}};
    send(a, std::move(hello));
    // Heartbeats spread over the interval, as a real fleet's are.
    const auto offset = std::chrono::milliseconds(
        (std::hash<std::string>{}(a.id) % (static_cast<size_t>(o_.heartbeat_seconds) * 1000)));
    loop_.after(offset, [this, &a, generation] { heartbeat(a, generation); });
    if (first)
      connect_more();
  }

  void heartbeat(SimAgent& a, uint64_t generation) {
    if (!a.ws || a.generation != generation)
      return;
    fleet::Envelope e;
    e.message_type = "heartbeat";
    e.payload = {{"load_1m", 0.1}, {"memory_used_percent", 10.0}, {"running_tasks", 0}};
    send(a, std::move(e));
    loop_.after(std::chrono::seconds(o_.heartbeat_seconds),
                [this, &a, generation] { heartbeat(a, generation); });
  }

  void on_message(SimAgent& a, std::string_view text) {
    auto parsed = fleet::parse_envelope(text);
    if (!parsed)
      return;
    fleet::Envelope& e = *parsed;
    if (e.message_type == "hello_ack" && a.rehoming) {
      a.rehoming = false;
      std::printf("rehomed %lld\n", static_cast<long long>(now_ns()));
      std::fflush(stdout);
      return;
    }
    if (e.message_type == "ack") {
      const int64_t up_to = param(e.payload, "up_to");
      const int64_t now = now_ns();
      while (!a.waiting.empty() && a.waiting.begin()->first <= up_to) {
        const auto& w = a.waiting.begin()->second;
        if (w.chunks)
          std::printf("stream %s %lld %lld %lld\n", w.run.c_str(),
                      static_cast<long long>(w.first_ns), static_cast<long long>(now),
                      static_cast<long long>(w.chunks));
        else
          std::printf("acked %s %lld\n", w.run.c_str(), static_cast<long long>(now));
        a.waiting.erase(a.waiting.begin());
      }
      std::fflush(stdout);
      return;
    }
    if (e.message_type != "task_execution")
      return;
    fleet::Envelope ack;
    ack.message_type = "task_ack";
    ack.task_id = e.task_id;
    send(a, std::move(ack));
    json::object params;
    if (const auto* p = e.payload.if_contains("parameters"); p && p->is_object())
      params = p->as_object();
    const int64_t chunks = param(params, "bench_chunks");
    if (chunks <= 0)
      return finish(a, e.task_id, params, 0, 0);
    const auto delay = std::chrono::milliseconds(param(params, "bench_delay_ms"));
    loop_.after(delay, [this, &a, run = e.task_id, params, chunks] {
      if (!a.ws)
        return;
      const std::string data(
          static_cast<size_t>(std::max<int64_t>(1, param(params, "bench_bytes"))), 'x');
      const int64_t first = now_ns();
      for (int64_t c = 1; c <= chunks; ++c) {
        fleet::Envelope out;
        out.message_type = "task_output";
        out.task_id = run;
        out.seq = ++a.seq;
        out.payload = {{"stream", "stdout"}, {"data", data}, {"chunk", c}};
        send(a, std::move(out));
      }
      finish(a, run, params, first, chunks);
    });
  }

  void finish(SimAgent& a, const std::string& run, const json::object& params, int64_t first,
              int64_t chunks) {
    fleet::Envelope r;
    r.message_type = "task_result";
    r.task_id = run;
    r.seq = ++a.seq;
    const auto* message = params.if_contains("message");
    r.payload = {{"status", "succeeded"},
                 {"exit_code", 0},
                 {"result", json::object{{"echo", message ? *message : json::value("")}}}};
    a.waiting[r.seq] = {run, first, chunks};
    send(a, std::move(r));
  }

  SimOptions o_;
  net::Url url_;
  std::string ca_;
  std::vector<net::Url> servers_;
  size_t first_server_ = 0;  // url_'s place in servers_
  std::mt19937 rng_{std::random_device{}()};
  net::ClientLoop loop_;
  std::vector<std::unique_ptr<SimAgent>> agents_;
  size_t next_ = 0, connecting_ = 0;
};

}  // namespace

int run_sim(const SimOptions& o) {
  Sim sim(o);
  return sim.run();
}

}  // namespace ris::bench
