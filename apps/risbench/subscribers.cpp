// `risbench subscribe`: WebSocket subscribers on one event loop, to risd's /events/v1 or to
// nats-server's WebSocket listener, counting the messages they receive (see workers.hpp).
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <memory>
#include <vector>

#include "processes.hpp"
#include "ris/net/client.hpp"
#include "workers.hpp"

namespace ris::bench {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

struct Subscriber {
  std::shared_ptr<net::WsClient> ws;
  size_t received = 0;
  int64_t first_ns = 0, last_ns = 0;
  bool reported = false;
};

size_t count_of(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

}  // namespace

int run_subscribers(const SubscribeOptions& o) {
  auto url = net::parse_https_url(o.url);
  if (!url) {
    std::fprintf(stderr, "risbench subscribe: %s\n", url.error().message.c_str());
    return 2;
  }
  const net::ClientTls tls{read_file(o.ca_file)};
  net::ClientLoop loop;
  std::vector<std::unique_ptr<Subscriber>> subs;
  size_t done = 0;
  auto count = [&](Subscriber& s, size_t n) {
    if (!n)
      return;
    const int64_t now = now_ns();
    if (!s.received)
      s.first_ns = now;
    s.received += n;
    s.last_ns = now;
    if (!s.reported && s.received >= o.expect) {
      s.reported = true;
      std::printf("received %zu %lld %lld\n", s.received, static_cast<long long>(s.first_ns),
                  static_cast<long long>(s.last_ns));
      std::fflush(stdout);
      if (++done == subs.size())
        loop.stop();
    }
  };
  for (size_t i = 0; i < o.connections; ++i) {
    auto s = std::make_unique<Subscriber>();
    Subscriber& sub = *s;
    subs.push_back(std::move(s));
    net::WsClient::Callbacks cb;
    cb.on_close = [](std::string reason) {
      std::printf("closed %s\n", reason.c_str());
      std::fflush(stdout);
    };
    if (o.kind == "nats") {
      cb.on_open = [&sub, &o] {
        sub.ws->send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB " + o.subject +
                     " 1\r\nPING\r\n");
      };
      cb.on_message = [&sub, &count](std::string_view text) {
        if (text.find("PONG\r\n") != std::string_view::npos) {
          std::printf("open\n");
          std::fflush(stdout);
        }
        if (text.find("PING\r\n") != std::string_view::npos)
          sub.ws->send("PONG\r\n");
        count(sub, count_of(text, "MSG "));
      };
    } else {
      cb.on_message = [&sub, &o, &count](std::string_view text) {
        // Frames are small JSON objects; the type decides.
        if (text.find("\"run_output\"") != std::string_view::npos)
          return count(sub, 1);
        auto v = json::parse(text).as_object();
        const auto type = v.at("type").as_string();
        if (type == "hello")
          sub.ws->send(json::serialize(json::object{{"type", "auth"}, {"token", o.token}}));
        else if (type == "authenticated")
          sub.ws->send(json::serialize(json::object{{"type", "subscribe"},
                                                    {"id", "s"},
                                                    {"topic", "task"},
                                                    {"space", o.space},
                                                    {"task", o.task}}));
        else if (type == "subscribed") {
          std::printf("open\n");
          std::fflush(stdout);
        } else if (type == "error") {
          std::printf("closed %s\n", json::serialize(v).c_str());
          std::fflush(stdout);
        }
      };
    }
    sub.ws = net::WsClient::connect(loop, *url, tls, std::move(cb), 60s, 1 << 20, 64 << 20);
  }
  loop.run();
  return 0;
}

}  // namespace ris::bench
