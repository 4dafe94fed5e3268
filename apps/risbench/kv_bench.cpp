// risbench kv: the key-value store under load, through the REST API as clients use it.
//   writes   --clients C threads, each with its own keep-alive connection and 100 keys of its
//            own, doing compare-and-set puts (expected_revision = the key's last revision) for
//            --duration seconds: successful CAS writes per second, and conflicts (none expected)
//   reads    the same threads reading those keys: reads per second
//   watch    a watcher long-polling the change log on the last server while a writer on the
//            first writes a key every 20 ms: from the write request to the watcher holding the
//            change, p50/p99 (on a cluster the hint crosses NATS, the data comes from the store)
#include <atomic>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "fleet.hpp"
#include "processes.hpp"
#include "ris/net/http.hpp"
#include "scenarios.hpp"

namespace ris::bench {
namespace json = boost::json;

json::object kv(const BenchOptions& o) {
  Fleet fleet({o.risd, o.work, o.port, o.servers, o.nats_server});
  const std::string base = "/api/v1/spaces/" + fleet.space() + "/kv";
  const net::ClientTls tls{read_file(fleet.ca_file())};
  const size_t clients = o.clients;
  const auto duration = std::chrono::seconds(o.duration);
  auto client_on = [&](size_t server) {
    return std::make_unique<net::HttpsClient>(
        server_url(fleet.urls()[server % fleet.urls().size()]), tls);
  };
  const net::HttpsClient::Headers auth{{"Authorization", fleet.auth_header()},
                                       {"Content-Type", "text/plain"}};

  // Writes: compare-and-set on each client's own keys.
  std::atomic<uint64_t> writes{0}, conflicts{0}, errors{0}, reads{0};
  std::mutex error_mu;
  std::string last_error;  // the last failed request, for stderr
  auto failed = [&](const Result<net::ClientReply>& r) {
    ++errors;
    std::lock_guard lock(error_mu);
    last_error = r ? std::to_string(r->status) + " " + r->body.substr(0, 300) : r.error().message;
  };
  std::vector<std::thread> threads;
  int64_t start = now_ns();
  for (size_t c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      auto client = client_on(c);
      std::map<int, int64_t> revision;  // key → its last revision (0: absent)
      for (int i = 0; now_ns() - start < duration.count() * 1'000'000'000LL; ++i) {
        const int k = i % 100;
        const std::string key = "bench/" + std::to_string(c) + "/" + std::to_string(k);
        auto r = client->request("PUT",
                                 base + "?key=" + net::percent_encode(key) +
                                     "&expected_revision=" + std::to_string(revision[k]),
                                 "value-" + std::to_string(i), auth);
        if (r && r->status == 200) {
          ++writes;
          revision[k] = json::parse(r->body).at("mod_revision").to_number<int64_t>();
        } else if (r && r->status == 409) {
          ++conflicts;
        } else {
          failed(r);
        }
      }
    });
  for (auto& t : threads)
    t.join();
  const double write_seconds = seconds_since(start);
  threads.clear();

  // Reads of the same keys.
  start = now_ns();
  for (size_t c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      auto client = client_on(c);
      for (int i = 0; now_ns() - start < duration.count() * 1'000'000'000LL; ++i) {
        const std::string key = "bench/" + std::to_string(c) + "/" + std::to_string(i % 100);
        auto r = client->request("GET", base + "?key=" + net::percent_encode(key), "", auth);
        if (r && r->status == 200)
          ++reads;
        else
          failed(r);
      }
    });
  for (auto& t : threads)
    t.join();
  const double read_seconds = seconds_since(start);

  // Watch latency: written on the first server, watched on the last.
  std::mutex mu;
  std::map<std::string, int64_t> sent;  // value written → when its write was requested
  std::vector<double> latency;
  std::atomic<bool> done{false};
  int64_t head = 0;
  {
    auto c = client_on(fleet.urls().size() - 1);
    auto r = c->request("GET", base + "/changes?after_revision=" + std::to_string(INT64_MAX / 2),
                        "", auth);
    if (r && r->status == 200)
      head = json::parse(r->body).at("revision").to_number<int64_t>();
  }
  std::thread watcher([&] {
    auto client = client_on(fleet.urls().size() - 1);
    int64_t after = head;
    while (!done) {
      auto r = client->request(
          "GET",
          base + "/changes?prefix=lat/&wait_seconds=5&after_revision=" + std::to_string(after), "",
          auth, std::chrono::seconds(15));
      const int64_t got = now_ns();
      if (!r || r->status != 200)
        continue;
      auto page = json::parse(r->body).as_object();
      std::lock_guard lock(mu);
      for (const auto& item : page.at("items").as_array()) {
        const auto* v = item.as_object().if_contains("value");
        if (auto it = v && v->is_string() ? sent.find(std::string(v->as_string())) : sent.end();
            it != sent.end())
          latency.push_back(static_cast<double>(got - it->second) / 1e6);
      }
      after = page.at("revision").to_number<int64_t>();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    auto writer = client_on(0);
    for (int i = 0; i < 250; ++i) {
      {
        std::lock_guard lock(mu);
        sent["w" + std::to_string(i)] = now_ns();
      }
      (void)writer->request("PUT", base + "?key=lat/x", "w" + std::to_string(i), auth);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  done = true;
  watcher.join();
  if (!last_error.empty())
    std::fprintf(stderr, "kv: %llu failed requests; the last: %s\n",
                 static_cast<unsigned long long>(errors.load()), last_error.c_str());
  return {{"servers", o.servers},
          {"clients", clients},
          {"cas_writes_per_s", static_cast<double>(writes) / write_seconds},
          {"cas_conflicts", conflicts.load()},
          {"errors", errors.load()},
          {"reads_per_s", static_cast<double>(reads) / read_seconds},
          {"watch_events", latency.size()},
          {"watch_p50_ms", percentile(latency, 50)},
          {"watch_p99_ms", percentile(latency, 99)}};
}

}  // namespace ris::bench
