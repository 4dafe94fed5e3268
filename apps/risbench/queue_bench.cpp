// risbench queues: durable queues under load through the REST API, with 1 KiB messages.
//   publish   --clients C threads publishing for --duration: messages stored per second (each
//             answered only once durable: in the store, or acknowledged by JetStream), one
//             message per request, then batches of 100 per request
//   consume   the same threads pulling up to 100 at a time and acknowledging each batch in one
//             call, until the subscription is drained: messages consumed per second
//   latency   publishers at --rate messages/s in all (open loop, batches of 10 as a producer
//             that lingers a moment does) and consumers pulling, for --duration: from the
//             publish request to a consumer holding the message, p50/p99
//   raw       with --servers > 1: the same publish and consume, straight to the same JetStream
//             through RIS's own NATS client (what `nats bench --js` measures), and the ratios
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <mutex>
#include <thread>

#include "fleet.hpp"
#include "processes.hpp"
#include "ris/bus/stream.hpp"
#include "ris/net/http.hpp"
#include "scenarios.hpp"

namespace ris::bench {
namespace json = boost::json;

namespace {

constexpr size_t kMessageBytes = 1024;

// A 1 KiB message that starts with `stamp`.
std::string message(const std::string& stamp) {
  std::string m = stamp + " ";
  m.resize(kMessageBytes, 'x');
  return m;
}

struct Errors {
  std::atomic<uint64_t> count{0};
  std::mutex mu;
  std::string last;
  void add(const Result<net::ClientReply>& r) {
    ++count;
    std::lock_guard lock(mu);
    last = r ? std::to_string(r->status) + " " + r->body.substr(0, 300) : r.error().message;
  }
};

}  // namespace

json::object queues(const BenchOptions& o) {
  Fleet fleet({o.risd, o.work, o.port, o.servers, o.nats_server});
  const std::string topics = "/api/v1/spaces/" + fleet.space() + "/topics";
  const net::ClientTls tls{read_file(fleet.ca_file())};
  const size_t clients = o.clients;
  const int64_t duration_ns = o.duration * 1'000'000'000LL;
  auto client_on = [&](size_t server) {
    return std::make_unique<net::HttpsClient>(
        server_url(fleet.urls()[server % fleet.urls().size()]), tls);
  };
  const net::HttpsClient::Headers auth{{"Authorization", fleet.auth_header()},
                                       {"Content-Type", "text/plain"}};
  const net::HttpsClient::Headers auth_json{{"Authorization", fleet.auth_header()},
                                            {"Content-Type", "application/json"}};
  Errors errors;
  auto make = [&](const std::string& topic) {
    fleet.api("POST", topics, json::object{{"name", topic}, {"ack_deadline_seconds", 60}});
    fleet.api("POST", topics + "/" + topic + "/subscriptions",
              json::object{{"name", "work"}, {"start", "all"}});
  };
  // Pulls a batch and acknowledges it in one call; the bodies pulled.
  auto pull_batch = [&](net::HttpsClient& client, const std::string& topic) {
    std::vector<std::string> bodies;
    const std::string sub = topics + "/" + topic + "/subscriptions/work";
    auto r = client.request("POST", sub + "/pull?max=100", "", auth);
    if (!r || r->status != 200) {
      errors.add(r);
      return bodies;
    }
    json::array tokens;
    const auto page = json::parse(r->body);
    for (const auto& m : page.at("messages").as_array()) {
      bodies.emplace_back(m.at("body").as_string());
      tokens.push_back(m.at("ack"));
    }
    if (!tokens.empty()) {
      auto a =
          client.request("POST", sub + "/ack",
                         json::serialize(json::object{{"tokens", std::move(tokens)}}), auth_json);
      if (!a || a->status != 200)
        errors.add(a);
    }
    return bodies;
  };

  // Topics of this run (the work directory's database is kept between runs).
  const std::string run = std::to_string(now_ns());
  const std::string bench = "bench-" + run, lat = "lat-" + run;

  // Publish.
  make(bench);
  std::atomic<uint64_t> published{0}, consumed{0};
  std::vector<std::thread> threads;
  int64_t start = now_ns();
  for (size_t c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      auto client = client_on(c);
      const std::string body = message("m");
      while (now_ns() - start < duration_ns) {
        auto r = client->request("POST", topics + "/" + bench + "/messages", body, auth);
        if (r && r->status == 201)
          ++published;
        else
          errors.add(r);
      }
    });
  for (auto& t : threads)
    t.join();
  const double publish_seconds = seconds_since(start);
  threads.clear();

  // Publish in batches.
  std::atomic<uint64_t> batch_published{0};
  const std::string batch_body = [] {
    json::array messages;
    for (int i = 0; i < 100; ++i)
      messages.push_back(json::object{{"body", message("b")}});
    return json::serialize(json::object{{"messages", std::move(messages)}});
  }();
  start = now_ns();
  for (size_t c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      auto client = client_on(c);
      while (now_ns() - start < duration_ns) {
        auto r = client->request("POST", topics + "/" + bench + "/messages/batch", batch_body,
                                 auth_json);
        if (r && r->status == 201)
          batch_published += 100;
        else
          errors.add(r);
      }
    });
  for (auto& t : threads)
    t.join();
  const double batch_seconds = seconds_since(start);
  threads.clear();
  published += batch_published.load();

  // Consume until drained.
  start = now_ns();
  for (size_t c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      auto client = client_on(c);
      int empty = 0;
      while (consumed < published && empty < 20 && now_ns() - start < 6 * duration_ns) {
        const auto got = pull_batch(*client, bench).size();
        consumed += got;
        empty = got == 0 ? empty + 1 : 0;
      }
    });
  for (auto& t : threads)
    t.join();
  const double consume_seconds = seconds_since(start);
  threads.clear();

  // Latency at a fixed publish rate, consumers pulling meanwhile.
  make(lat);
  std::mutex mu;
  std::vector<double> latency;
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> publishing{true};
  const size_t publishers = std::max<size_t>(1, clients / 2);
  const size_t consumers = std::max<size_t>(1, clients - publishers);
  start = now_ns();
  for (size_t p = 0; p < publishers; ++p)
    threads.emplace_back([&, p] {
      auto client = client_on(p);
      constexpr int kBatch = 10;
      const double interval_ns = 1e9 * static_cast<double>(publishers) * kBatch / o.rate;
      for (uint64_t i = 0;; ++i) {
        const auto due = start + static_cast<int64_t>(static_cast<double>(i) * interval_ns);
        if (due - start >= duration_ns)
          break;
        while (now_ns() < due)
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        json::array batch;
        const std::string stamp = message(std::to_string(now_ns()));
        for (int k = 0; k < kBatch; ++k)
          batch.push_back(json::object{{"body", stamp}});
        auto r = client->request("POST", topics + "/" + lat + "/messages/batch",
                                 json::serialize(json::object{{"messages", std::move(batch)}}),
                                 auth_json);
        if (r && r->status == 201)
          sent += kBatch;
        else
          errors.add(r);
      }
    });
  std::vector<std::thread> pullers;
  std::atomic<uint64_t> received{0};
  for (size_t c = 0; c < consumers; ++c)
    pullers.emplace_back([&, c] {
      auto client = client_on(c + 1);
      while (publishing || received < sent) {
        const auto bodies = pull_batch(*client, lat);
        const int64_t got = now_ns();
        std::lock_guard lock(mu);
        for (const auto& b : bodies)
          latency.push_back(static_cast<double>(got - std::stoll(b.substr(0, b.find(' ')))) / 1e6);
        received += bodies.size();
        if (bodies.empty() && !publishing && now_ns() - start > duration_ns + 10'000'000'000LL)
          break;
      }
    });
  for (auto& t : threads)
    t.join();
  const double latency_seconds = seconds_since(start);
  publishing = false;
  for (auto& t : pullers)
    t.join();
  threads.clear();

  json::object out{
      {"servers", o.servers},
      {"clients", clients},
      {"message_bytes", kMessageBytes},
      {"publish_per_s", static_cast<double>(published - batch_published) / publish_seconds},
      {"publish_batched_per_s", static_cast<double>(batch_published) / batch_seconds},
      {"consume_per_s", static_cast<double>(consumed) / consume_seconds},
      {"consumed_of_published",
       published == 0 ? 0.0 : static_cast<double>(consumed) / static_cast<double>(published)},
      {"latency_rate_asked", o.rate},
      {"latency_rate_achieved", static_cast<double>(sent) / latency_seconds},
      {"latency_p50_ms", percentile(latency, 50)},
      {"latency_p99_ms", percentile(latency, 99)},
      {"errors", errors.count.load()}};

  if (!fleet.nats_url().empty()) {
    // The same JetStream server, straight: publish, then fetch and ack, from as many threads.
    auto streams = bus::open_streams(fleet.nats_url());
    if (!streams)
      throw std::runtime_error(streams.error().message);
    auto& js = **streams;
    for (int i = 0; i < 100 && !js.connected(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bus::StreamConfig sc;
    sc.name = "BENCH_RAW_" + run;
    sc.subjects = {"benchraw." + run};
    if (auto r = js.ensure(sc); !r)
      throw std::runtime_error(r.error().message);
    std::atomic<uint64_t> raw_published{0}, raw_consumed{0};
    start = now_ns();
    for (size_t c = 0; c < clients; ++c)
      threads.emplace_back([&] {
        const std::string body = message("m");
        while (now_ns() - start < duration_ns)
          if (js.publish("benchraw." + run, body))
            ++raw_published;
      });
    for (auto& t : threads)
      t.join();
    const double raw_publish_seconds = seconds_since(start);
    threads.clear();
    bus::ConsumerConfig cc;
    cc.stream = sc.name;
    cc.durable = "raw";
    cc.ack_wait = std::chrono::seconds(60);
    start = now_ns();
    for (size_t c = 0; c < clients; ++c)
      threads.emplace_back([&] {
        auto consumer = js.consumer(cc);
        if (!consumer)
          return;
        int empty = 0;
        while (raw_consumed < raw_published && empty < 3) {
          auto batch = (*consumer)->fetch(100, std::chrono::milliseconds(200));
          if (!batch || batch->empty()) {
            ++empty;
            continue;
          }
          empty = 0;
          for (auto& m : *batch)
            if (m.ack())
              ++raw_consumed;
        }
      });
    for (auto& t : threads)
      t.join();
    const double raw_consume_seconds = seconds_since(start);
    const double raw_pub = static_cast<double>(raw_published) / raw_publish_seconds;
    const double raw_con = static_cast<double>(raw_consumed) / raw_consume_seconds;
    out["raw_publish_per_s"] = raw_pub;
    out["raw_consume_per_s"] = raw_con;
    out["publish_ratio"] = raw_pub > 0 ? out.at("publish_per_s").as_double() / raw_pub : 0.0;
    out["publish_batched_ratio"] =
        raw_pub > 0 ? out.at("publish_batched_per_s").as_double() / raw_pub : 0.0;
    out["consume_ratio"] = raw_con > 0 ? out.at("consume_per_s").as_double() / raw_con : 0.0;
    (void)js.remove_stream(sc.name);
  }
  if (!errors.last.empty())
    std::fprintf(stderr, "queues: %llu failed requests; the last: %s\n",
                 static_cast<unsigned long long>(errors.count.load()), errors.last.c_str());
  return out;
}

}  // namespace ris::bench
