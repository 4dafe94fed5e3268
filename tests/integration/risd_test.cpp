// risd as a user meets it: a real process on loopback, real TLS, real sockets.
#include <signal.h>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <thread>

#include "support.hpp"

namespace ris::test {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;

class Risd : public ::testing::Test {
 protected:
  void SetUp() override { risd_.start(); }
  HttpResult get(const std::string& target) {
    return https(risd_.port(), risd_.ca_file(), "GET", target);
  }
  RisdProcess risd_{{"--header-timeout", "2s", "--max-ws-message-bytes", "64KiB"}};
};

TEST_F(Risd, health_answers_in_the_seed_shape) {
  auto r = get("/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_FALSE(r.headers["x-request-id"].empty());
  auto j = json::parse(r.body).as_object();
  EXPECT_EQ(j.at("status").as_string(), "healthy");
  EXPECT_TRUE(j.contains("timestamp"));

  auto d = get("/health?detailed=true");
  ASSERT_EQ(d.status, 200) << d.body;
  auto dj = json::parse(d.body).as_object();
  auto& c = dj.at("components").as_object();
  EXPECT_EQ(c.at("database").as_string(), "connected");
  EXPECT_EQ(c.at("bus").as_string(), "connected");
  EXPECT_EQ(c.at("clients").as_string(), "0/0 connected");
  auto& files = dj.at("details").at("open_files").as_object();
  // risd raised its soft limit to the hard limit at start.
  EXPECT_EQ(files.at("soft_limit").as_int64(), files.at("hard_limit").as_int64());
  EXPECT_EQ(dj.at("details").at("tls").at("ca_sha256").as_string(), risd_.ca_sha256());
}

TEST_F(Risd, metrics_are_valid_prometheus_text_with_request_counters) {
  get("/health");
  get("/nope");
  auto m = get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(
      m.body.find(R"(ris_server_requests_total{route="/health",method="GET",status="200"} 1)"),
      std::string::npos)
      << m.body;
  EXPECT_NE(
      m.body.find(R"(ris_server_requests_total{route="unmatched",method="GET",status="404"} 1)"),
      std::string::npos);
  for (auto name :
       {"ris_server_request_duration_seconds_bucket", "ris_clients_connected", "process_open_fds",
        "process_resident_memory_bytes", "process_cpu_seconds_total", "ris_connections_open_http"})
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  auto file = risd_.data_dir() / "metrics.txt";
  std::ofstream(file) << m.body;
  auto [rc, out] = run_command("promtool check metrics < " + file.string());
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(Risd, errors_are_problem_json_including_404_and_405) {
  auto nf = get("/api/v1/nothing-here");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.headers["content-type"], "application/problem+json");
  EXPECT_EQ(json::parse(nf.body).at("status").as_int64(), 404);

  auto na = https(risd_.port(), risd_.ca_file(), "DELETE", "/health");
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(na.headers["content-type"], "application/problem+json");
  EXPECT_EQ(na.headers["allow"], "GET");

  auto bad = get("/a%zz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.headers["content-type"], "application/problem+json");
}

TEST_F(Risd, openapi_document_is_served) {
  auto r = get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  auto j = json::parse(r.body).as_object();
  EXPECT_EQ(j.at("openapi").as_string(), "3.1.0");
  for (auto path :
       {"/health", "/metrics", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout",
        "/.well-known/jwks.json", "/api/v1/me", "/events/v1", "/api/v1/spaces",
        "/api/v1/spaces/{space}/roles", "/api/v1/spaces/{space}/audit", "/api/v1/agents/enrol",
        "/api/v1/spaces/{space}/tasks", "/api/v1/spaces/{space}/services",
        "/api/v1/spaces/{space}/images", "/agent/v1"})
    EXPECT_TRUE(j.at("paths").as_object().contains(path)) << path;
}

TEST_F(Risd, tls12_is_refused_by_default) {
  TlsConnection old(risd_.port(), risd_.ca_file(), /*max_tls12=*/true);
  EXPECT_FALSE(old.handshake());
  TlsConnection modern(risd_.port(), risd_.ca_file());
  EXPECT_TRUE(modern.handshake());
}

TEST_F(Risd, oversized_header_is_answered_431) {
  TlsConnection c(risd_.port(), risd_.ca_file());
  ASSERT_TRUE(c.handshake());
  c.write("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(20 * 1024, 'a') +
          "\r\n\r\n");
  auto r = c.read(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rfind("HTTP/1.1 431", 0), 0u) << r->substr(0, 200);
  EXPECT_NE(r->find("application/problem+json"), std::string::npos);
}

TEST_F(Risd, oversized_body_is_answered_413) {
  TlsConnection c(risd_.port(), risd_.ca_file());
  ASSERT_TRUE(c.handshake());
  c.write("POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2097152\r\n\r\n" +
          std::string(64 * 1024, 'x'));
  auto r = c.read(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rfind("HTTP/1.1 413", 0), 0u) << r->substr(0, 200);
}

TEST_F(Risd, one_byte_per_second_client_is_cut_off_by_the_header_timeout) {
  TlsConnection c(risd_.port(), risd_.ca_file());
  ASSERT_TRUE(c.handshake());
  const std::string request =
      "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + std::string(20, 'z') + "\r\n\r\n";
  bool cut_off = false;
  for (size_t i = 0; i < request.size(); ++i) {
    if (!c.write(request.substr(i, 1))) {
      cut_off = true;
      break;
    }
    auto r = c.read(1s);  // also paces us at about one byte per second
    if (!r) {
      cut_off = true;
      break;
    }
    ASSERT_TRUE(r->empty()) << "server answered a request it never fully received: " << *r;
  }
  // The header timeout is 2s; the whole request would take ~60s to trickle in.
  EXPECT_TRUE(cut_off);
}

TEST_F(Risd, events_websocket_says_hello_and_answers_ping) {
  WsClient ws(risd_.port(), risd_.ca_file(), "/events/v1");
  auto hello = ws.receive();
  ASSERT_TRUE(hello);
  EXPECT_EQ(json::parse(*hello).at("type").as_string(), "hello");
  ws.send(R"({"type":"ping","id":"42"})");
  auto pong = json::parse(*ws.receive()).as_object();
  EXPECT_EQ(pong.at("type").as_string(), "pong");
  EXPECT_EQ(pong.at("id").as_string(), "42");
  ws.send("{not json");
  auto err = json::parse(*ws.receive()).as_object();
  EXPECT_EQ(err.at("type").as_string(), "error");
  EXPECT_EQ(err.at("code").as_string(), "bad_message");
}

TEST_F(Risd, oversized_websocket_message_closes_with_1009) {
  WsClient ws(risd_.port(), risd_.ca_file(), "/events/v1");
  ASSERT_TRUE(ws.receive());  // hello
  // 64 KiB (the limit) in one frame, then a 1-byte frame that crosses it. The server rejects the
  // message at the second frame's header, having read everything sent: the close frame is
  // not lost to a TCP reset caused by unread input.
  ws.send_frames({std::string(64 * 1024, 'x'), "y"});
  EXPECT_FALSE(ws.receive());
  EXPECT_EQ(ws.close_code(), 1009);
}

TEST_F(Risd, unknown_websocket_path_is_404) {
  EXPECT_THROW(WsClient(risd_.port(), risd_.ca_file(), "/agent/v0"), std::exception);
}

TEST_F(Risd, holds_many_idle_websockets_while_requests_still_answer) {
  const int n = std::getenv("RIS_TEST_IDLE_WEBSOCKETS")
                    ? std::atoi(std::getenv("RIS_TEST_IDLE_WEBSOCKETS"))
                    : 2000;
  std::vector<std::unique_ptr<WsClient>> clients;
  clients.reserve(n);
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<WsClient>(risd_.port(), risd_.ca_file(), "/events/v1"));
    if (i % 500 == 0) {
      ASSERT_EQ(get("/health").status, 200) << "after " << i << " WebSockets";
    }
  }
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(get("/health").status, 200);
  auto m = get("/metrics");
  EXPECT_NE(m.body.find("ris_connections_open_websocket " + std::to_string(n)), std::string::npos)
      << "expected " << n << " open WebSockets in /metrics";
  // The first and the last connection both still work.
  clients.front()->receive();
  clients.front()->send(R"({"type":"ping"})");
  EXPECT_EQ(json::parse(*clients.front()->receive()).at("type").as_string(), "pong");
}

TEST(RisdLifecycle, sigterm_closes_websockets_with_1001_and_exits_0) {
  RisdProcess risd({"--log-level", "info"});
  risd.start();
  WsClient ws(risd.port(), risd.ca_file(), "/events/v1");
  ASSERT_TRUE(ws.receive());
  TlsConnection idle(risd.port(), risd.ca_file());
  ASSERT_TRUE(idle.handshake());
  std::thread stopper([&] { EXPECT_EQ(risd.stop(SIGTERM, 15s), 0) << risd.log(); });
  EXPECT_FALSE(ws.receive());
  EXPECT_EQ(ws.close_code(), 1001);
  stopper.join();
  EXPECT_NE(risd.log().find("shutdown_complete"), std::string::npos) << risd.log();
}

TEST(RisdLifecycle, restart_reuses_the_ca) {
  RisdProcess first;
  first.start();
  const std::string hash = first.ca_sha256();
  ASSERT_EQ(first.stop(SIGTERM, 15s), 0);
  RisdProcess second({}, first.data_dir());
  second.start();
  EXPECT_EQ(second.ca_sha256(), hash);
  EXPECT_EQ(https(second.port(), second.ca_file(), "GET", "/health").status, 200);
  EXPECT_EQ(second.stop(SIGTERM, 15s), 0);
}

TEST(RisdLifecycle, invalid_configuration_fails_naming_the_setting) {
  auto [rc, out] = run_command(std::string(RISD_BINARY) + " --max-body-bytes lots");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("max-body-bytes"), std::string::npos) << out;
  auto [hrc, help] = run_command(std::string(RISD_BINARY) + " --help");
  EXPECT_EQ(hrc, 0);
  EXPECT_NE(help.find("RIS_DATA_DIR"), std::string::npos);
}

TEST(RisdLifecycle, tls12_can_be_enabled_by_configuration) {
  RisdProcess risd({"--tls-min-version", "1.2"});
  risd.start();
  TlsConnection old(risd.port(), risd.ca_file(), /*max_tls12=*/true);
  EXPECT_TRUE(old.handshake());
}
}  // namespace
}  // namespace ris::test

namespace ris::test {
namespace {
TEST(RisdLifecycle, operator_supplied_certificate_is_what_clients_see) {
  RisdProcess risd;  // only for its temporary directory
  const auto dir = risd.data_dir();
  const auto cert = dir / "operator.crt", key = dir / "operator.key";
  auto [rc, out] = run_command(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
      "/CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      key.string() + " -out " + cert.string() + " && chmod 600 " + key.string());
  ASSERT_EQ(rc, 0) << out;
  RisdProcess with_cert({"--tls-cert-file", cert.string(), "--tls-key-file", key.string()}, dir);
  with_cert.start();
  // Clients verify the operator's certificate; the pin printed is the operator chain's root.
  EXPECT_EQ(https(with_cert.port(), cert, "GET", "/health").status, 200);
  auto [hrc, fingerprint] =
      run_command("openssl x509 -in " + cert.string() + " -outform DER | sha256sum");
  ASSERT_EQ(hrc, 0);
  EXPECT_EQ(with_cert.ca_sha256(), "sha256:" + fingerprint.substr(0, 64));
  // risd's own CA still exists, only to sign agents' client certificates.
  EXPECT_TRUE(std::filesystem::exists(dir / "tls" / "ca.key"));
  EXPECT_EQ(with_cert.stop(SIGTERM, std::chrono::seconds(15)), 0);
}
}  // namespace
}  // namespace ris::test
