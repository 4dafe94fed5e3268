// risd's TLS stream (tls_stream.hpp) through a real Server on loopback: the paths where OpenSSL
// has to wait for the socket — a reader slower than the writer, records larger than a read,
// messages in both directions at once — and the ways a connection goes wrong.
#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "ris/metrics/metrics.hpp"
#include "ris/net/client.hpp"
#include "ris/net/server.hpp"
#include "ris/security/ca.hpp"

namespace ris::net {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

char pattern(size_t i) {
  return static_cast<char>('a' + i % 26);
}

std::string patterned(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = pattern(i);
  return s;
}

class EchoHandler : public WsHandler {
 public:
  explicit EchoHandler(WsConnection& c) : conn_(c) {}
  void on_message(std::string_view text) override {
    conn_.send(std::make_shared<const std::string>(text));
  }

 private:
  WsConnection& conn_;
};

class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ris-tls-stream-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto creds = security::ensure_server_credentials(dir_, {});
    ASSERT_TRUE(creds) << creds.error().message;
    ca_pem_ = creds->ca_cert_pem;
    router_.add("GET", "/big", [](Request& req, Reply reply) {
      const auto it = req.query.find("bytes");
      Response r;
      r.content_type = "application/octet-stream";
      r.body = patterned(it == req.query.end() ? 0 : std::stoul(it->second));
      reply(std::move(r));
    });
    router_.add("POST", "/check", [](Request& req, Reply reply) {
      Response r;
      r.content_type = "text/plain";
      r.body = req.body == patterned(req.body.size()) ? std::to_string(req.body.size()) : "bad";
      reply(std::move(r));
    });
    router_.add_websocket(
        "/echo", [](WsConnection& c, const Request&) { return std::make_unique<EchoHandler>(c); });
    ServerConfig config;
    config.listen_port = 0;
    config.threads = 2;
    config.handshake_timeout = handshake_timeout_;
    config.max_handshakes = max_handshakes_;
    config.max_ws_message_bytes = 2 << 20;
    config.max_body_bytes = 2 << 20;
    config.ws_write_queue_bytes = 64 << 20;
    server_ = std::make_unique<Server>(config, TlsPem{creds->cert_chain_pem, creds->key_pem, ""},
                                       router_, metrics_);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
  }
  void TearDown() override {
    if (server_)
      server_->shutdown(2s);
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  tcp::endpoint endpoint() const { return {asio::ip::make_address("127.0.0.1"), server_->port()}; }
  Url url(std::string target = "/") const { return {"127.0.0.1", server_->port(), target, ""}; }
  std::string rendered_metrics() { return metrics_.render(); }

  std::chrono::milliseconds handshake_timeout_ = 500ms;
  uint64_t max_handshakes_ = 256;
  std::filesystem::path dir_;
  std::string ca_pem_;
  Router router_;
  metrics::Registry metrics_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsStreamTest, a_reader_with_a_small_window_gets_every_byte_of_a_large_response) {
  // The response backs up into risd (OpenSSL says "want write") while this client sleeps with
  // a 4 KiB receive buffer; the stream must resume exactly where it stopped.
  constexpr size_t kBytes = 4 << 20;
  asio::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(ca_pem_));
  ctx.set_verify_mode(ssl::verify_peer);
  tcp::socket socket(ioc);
  socket.open(tcp::v4());
  socket.set_option(asio::socket_base::receive_buffer_size(4096));
  socket.connect(endpoint());
  ssl::stream<tcp::socket&> tls(socket, ctx);
  tls.handshake(ssl::stream_base::client);
  const std::string request = "GET /big?bytes=" + std::to_string(kBytes) +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(tls, asio::buffer(request));
  std::this_thread::sleep_for(300ms);

  std::string received;
  char buf[1024];
  boost::system::error_code ec;
  for (int reads = 0;; ++reads) {
    const size_t n = tls.read_some(asio::buffer(buf), ec);
    received.append(buf, n);
    if (ec)
      break;
    if (reads % 512 == 0)
      std::this_thread::sleep_for(2ms);
  }
  const auto end = received.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << ec.message();
  EXPECT_NE(received.find("Content-Length: " + std::to_string(kBytes)), std::string::npos);
  const std::string body = received.substr(end + 4);
  ASSERT_EQ(body.size(), kBytes) << ec.message();
  EXPECT_TRUE(body == patterned(kBytes));
}

TEST_F(TlsStreamTest, a_large_request_body_arrives_whole) {
  HttpsClient client(url(), ClientTls{ca_pem_});
  const std::string body = patterned(1536 * 1024);
  auto r = client.request("POST", "/check", body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::to_string(body.size()));
  // And the keep-alive connection serves the next one.
  r = client.request("POST", "/check", "abc");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "3");
}

TEST_F(TlsStreamTest, websocket_messages_cross_in_both_directions_at_once_in_order) {
  // Large frames span many TLS records; small ones interleave with them while both sides write.
  ClientLoop loop;
  std::thread runner([&] { loop.run(); });
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  bool closed = false;
  std::string close_reason;
  std::vector<std::string> sent;
  for (int i = 0; i < 40; ++i)
    sent.push_back(i % 4 == 0 ? patterned(700 * 1024 + static_cast<size_t>(i))
                              : "message " + std::to_string(i));
  std::shared_ptr<WsClient> ws;
  loop.post([&] {
    ws = WsClient::connect(loop, url("/echo"), ClientTls{ca_pem_},
                           {.on_open =
                                [&] {
                                  for (const auto& m : sent)
                                    ws->send(m);
                                },
                            .on_message =
                                [&](std::string_view text) {
                                  std::lock_guard lock(mu);
                                  got.emplace_back(text);
                                  cv.notify_all();
                                },
                            .on_close =
                                [&](std::string reason) {
                                  std::lock_guard lock(mu);
                                  closed = true;
                                  close_reason = std::move(reason);
                                  cv.notify_all();
                                }},
                           5s, 2 << 20, 64 << 20);
  });
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 30s, [&] { return got.size() == sent.size() || closed; });
  }
  loop.post([&] {
    if (ws)
      ws->close();
  });
  loop.stop();
  runner.join();
  ASSERT_EQ(got.size(), sent.size()) << "closed: " << close_reason;
  for (size_t i = 0; i < sent.size(); ++i)
    EXPECT_TRUE(got[i] == sent[i]) << "message " << i << " differs";
}

TEST_F(TlsStreamTest, plain_text_instead_of_tls_is_refused_and_the_server_goes_on) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(endpoint());
  asio::write(socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  char buf[256];
  boost::system::error_code ec;
  while (!ec)
    socket.read_some(asio::buffer(buf), ec);  // an alert at most, then the close
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  HttpsClient client(url(), ClientTls{ca_pem_});
  auto r = client.request("GET", "/big?bytes=10");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, patterned(10));
  EXPECT_NE(rendered_metrics().find("ris_server_rejected_total{reason=\"tls\"} 1"),
            std::string::npos)
      << rendered_metrics();
}

TEST_F(TlsStreamTest, a_silent_connection_is_closed_at_the_handshake_timeout) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(endpoint());
  const auto start = std::chrono::steady_clock::now();
  char buf[16];
  boost::system::error_code ec;
  socket.read_some(asio::buffer(buf), ec);  // blocks until risd gives up on us
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_GE(waited, 400ms);
  EXPECT_LT(waited, 10s);
}

// Also: writing to the reset connection must not raise SIGPIPE (this process does not ignore it).
TEST_F(TlsStreamTest, a_client_that_vanishes_mid_response_leaves_nothing_behind) {
  {
    asio::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(ca_pem_));
    tcp::socket socket(ioc);
    socket.connect(endpoint());
    ssl::stream<tcp::socket&> tls(socket, ctx);
    tls.handshake(ssl::stream_base::client);
    asio::write(tls,
                asio::buffer(std::string("GET /big?bytes=16777216 HTTP/1.1\r\nHost: x\r\n\r\n")));
    char buf[8192];
    asio::read(tls, asio::buffer(buf));
    socket.set_option(asio::socket_base::linger(true, 0));  // RST, no close_notify
  }
  for (int i = 0; i < 100 && server_->open_connections() > 0; ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server_->open_connections(), 0);
  HttpsClient client(url(), ClientTls{ca_pem_});
  auto r = client.request("GET", "/big?bytes=100000");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body.size(), 100000u);
}

// At most max_handshakes TLS handshakes at once: a connection beyond it is not taken from the
// kernel's queue until one of them ends.
class TlsHandshakeLimit : public TlsStreamTest {
 protected:
  TlsHandshakeLimit() {
    max_handshakes_ = 1;
    handshake_timeout_ = 5s;
  }
};

TEST_F(TlsHandshakeLimit, a_connection_beyond_the_limit_waits_until_a_handshake_ends) {
  asio::io_context ioc;
  tcp::socket silent(ioc);
  silent.connect(endpoint());  // taken, and never says hello: it holds the only slot
  std::this_thread::sleep_for(200ms);
  const ClientTls tls{ca_pem_};
  auto waiting = https_request(url("/big?bytes=3"), tls, "GET", "/big?bytes=3", {}, 500ms);
  EXPECT_FALSE(waiting) << "answered while the only handshake slot was taken";
  silent.close();  // its handshake ends (end of file): the next connection is taken
  auto served = https_request(url("/big?bytes=3"), tls, "GET", "/big?bytes=3", {}, 5s);
  ASSERT_TRUE(served) << served.error().message;
  EXPECT_EQ(served->body, "abc");
}

}  // namespace
}  // namespace ris::net
