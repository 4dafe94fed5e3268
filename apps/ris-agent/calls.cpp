// ris-agent kv / pub / sub: what a task or a local process on an agent's host does with the
// agent's identity (its state directory): read and watch the space's config/ keys, publish to
// and consume from the topics that let agents (risd's /agent/v1 routes, client certificate).
// Each call is a short HTTPS exchange of its own with a server the agent knows, tried in order:
// data never queues behind the agent's control connection.
#include "calls.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <thread>

#include "ris/agent/state.hpp"
#include "ris/net/client.hpp"
#include "ris/net/http.hpp"

namespace ris::agent_cli {
namespace {
namespace json = boost::json;

class Calls {
 public:
  static Result<Calls> open(const std::string& state_dir) {
    RIS_TRY(auto id, agent::load_identity(state_dir));
    return Calls(std::move(id));
  }

  // The first server that answers; an answer >= 300 becomes an error with its problem's detail.
  Result<json::value> call(std::string_view method, const std::string& target,
                           std::string body = {}, net::HttpsClient::Headers headers = {},
                           std::chrono::seconds timeout = std::chrono::seconds(30)) {
    Error last{Errc::unavailable, "this agent knows no server"};
    for (const auto& server : id_.servers) {
      auto url = net::parse_https_url(server);
      if (!url)
        continue;
      net::HttpsClient client(*url, tls_);
      auto reply = client.request(method, target, body, headers, timeout);
      if (!reply) {
        last = reply.error();
        continue;  // the next server
      }
      json::error_code ec;
      auto v = json::parse(reply->body, ec);
      if (reply->status >= 300) {
        const auto* o = !ec ? v.if_object() : nullptr;
        const auto* detail = o ? o->if_contains("detail") : nullptr;
        return fail(reply->status == 404   ? Errc::not_found
                    : reply->status == 403 ? Errc::forbidden
                    : reply->status == 409 ? Errc::conflict
                                           : Errc::invalid_argument,
                    detail && detail->is_string() ? std::string(detail->as_string())
                                                  : "HTTP " + std::to_string(reply->status));
      }
      return ec ? json::value() : v;
    }
    return fail(last);
  }

 private:
  explicit Calls(agent::Identity id)
      : id_(std::move(id)), tls_{id_.ca_pem, "", id_.cert_pem, id_.key_pem} {}
  agent::Identity id_;
  net::ClientTls tls_;
};

int failed(const Error& e) {
  std::fprintf(stderr, "ris-agent: %s\n", e.message.c_str());
  return 1;
}

std::string text_of(const json::object& o) {
  if (const auto* v = o.if_contains("value"))
    return v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
  if (const auto* b = o.if_contains("body"))
    return b->is_string() ? std::string(b->as_string()) : json::serialize(*b);
  return {};
}

}  // namespace

int kv_get(const CallOptions& o) {
  auto calls = Calls::open(o.state_dir);
  if (!calls)
    return failed(calls.error());
  auto v = calls->call("GET", "/agent/v1/kv?key=" + net::percent_encode(o.args.at(0)));
  if (!v)
    return failed(v.error());
  std::printf("%s\n", text_of(v->as_object()).c_str());
  return 0;
}

int kv_watch(const CallOptions& o) {
  auto calls = Calls::open(o.state_dir);
  if (!calls)
    return failed(calls.error());
  int64_t after = o.from_revision, seen = 0;
  while (true) {
    auto page = calls->call(
        "GET",
        "/agent/v1/kv/changes?wait_seconds=25&prefix=" + net::percent_encode(o.args.at(0)) +
            "&after_revision=" + std::to_string(after),
        {}, {}, std::chrono::seconds(40));
    if (!page) {
      if (page.error().code != Errc::unavailable)
        return failed(page.error());
      std::this_thread::sleep_for(std::chrono::seconds(1));  // every server away: try again
      continue;
    }
    const auto& p = page->as_object();
    for (const auto& item : p.at("items").as_array()) {
      const auto& c = item.as_object();
      std::printf("%lld %s %s %s\n", static_cast<long long>(c.at("revision").as_int64()),
                  std::string(c.at("op").as_string()).c_str(),
                  std::string(c.at("key").as_string()).c_str(), text_of(c).c_str());
      std::fflush(stdout);
      if (o.limit > 0 && ++seen >= o.limit)
        return 0;
    }
    after = p.at("revision").as_int64();
  }
}

int publish(const CallOptions& o) {
  auto calls = Calls::open(o.state_dir);
  if (!calls)
    return failed(calls.error());
  net::HttpsClient::Headers headers{{"Content-Type", o.content_type}};
  if (!o.idempotency_key.empty())
    headers.emplace_back("Idempotency-Key", o.idempotency_key);
  auto v =
      calls->call("POST", "/agent/v1/topics/" + net::percent_encode(o.args.at(0)) + "/messages",
                  o.args.at(1), headers);
  if (!v)
    return failed(v.error());
  std::printf("topic/%s seq %lld\n", o.args.at(0).c_str(),
              static_cast<long long>(v->at("seq").as_int64()));
  return 0;
}

int subscribe(const CallOptions& o) {
  auto calls = Calls::open(o.state_dir);
  if (!calls)
    return failed(calls.error());
  const std::string base = "/agent/v1/topics/" + net::percent_encode(o.args.at(0)) +
                           "/subscriptions/" + net::percent_encode(o.args.at(1));
  int64_t seen = 0;
  while (true) {
    auto page = calls->call("POST", base + "/pull?max=100&wait_seconds=20", {}, {},
                            std::chrono::seconds(40));
    if (!page)
      return failed(page.error());
    json::array tokens;
    for (const auto& item : page->at("messages").as_array()) {
      const auto& m = item.as_object();
      std::printf("%lld %s\n", static_cast<long long>(m.at("seq").as_int64()), text_of(m).c_str());
      std::fflush(stdout);
      tokens.push_back(m.at("ack"));
      if (o.limit > 0 && ++seen >= o.limit)
        break;
    }
    if (!tokens.empty()) {
      auto acked = calls->call("POST", base + "/ack",
                               json::serialize(json::object{{"tokens", std::move(tokens)}}),
                               {{"Content-Type", "application/json"}});
      if (!acked)
        return failed(acked.error());
    }
    if (o.limit > 0 && seen >= o.limit)
      return 0;
  }
}

}  // namespace ris::agent_cli
