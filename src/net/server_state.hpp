// Private to src/net: what every session of one Server shares. Read-only after start, except
// the atomics and the per-worker session registries (each behind its own, rarely taken, lock).
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "ris/core/config.hpp"
#include "ris/metrics/metrics.hpp"
#include "ris/net/router.hpp"
#include "tls_stream.hpp"

namespace ris::net {

// Anything the server must be able to close on shutdown.
class Session {
 public:
  virtual ~Session() = default;
  // Called on the session's own thread.
  virtual void begin_shutdown() = 0;
};

struct Worker {
  boost::asio::io_context ioc{1};  // one thread: Asio can skip its internal locking
  std::mutex mu;  // guards sessions: taken on connect, disconnect and shutdown only
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions;
};

struct NetMetrics {
  explicit NetMetrics(metrics::Registry& r);
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& latency;
  metrics::Family<metrics::Counter>&
      rejected;  // reason: header_too_large, body_too_large, timeout, tls, bad_request
  metrics::Counter& ws_received;
  metrics::Counter& ws_sent;
  metrics::Counter& ws_overflow;
  metrics::Counter& connections_accepted;
};

struct ServerState {
  ServerConfig config;
  const Router& router;
  boost::asio::ssl::context tls;
  NetMetrics metrics;
  std::atomic<int64_t> http_connections{0};
  std::atomic<int64_t> ws_connections{0};
  std::atomic<uint64_t> next_session_id{1};
  std::atomic<bool> shutting_down{false};

  // TLS handshakes in flight, at most config.max_handshakes: beyond it the server stops
  // accepting and new connections wait in the kernel's accept queue, costing nothing, instead
  // of thousands of handshakes (an agent storm) each going so slowly that they time out and are
  // all paid for twice. `resume_accepting` (set by the server) starts accepting again.
  std::atomic<int64_t> handshakes{0};
  std::atomic<bool> accept_paused{false};
  std::function<void()> resume_accepting;
  void handshake_finished() {
    // Not once shutting down: the acceptor is closing and the server may be going away.
    if (handshakes.fetch_sub(1) - 1 < static_cast<int64_t>(config.max_handshakes) &&
        !shutting_down && accept_paused.exchange(false) && resume_accepting)
      resume_accepting();
  }

  ServerState(const ServerConfig& c, const Router& r, boost::asio::ssl::context&& ctx,
              metrics::Registry& m)
      : config(c), router(r), tls(std::move(ctx)), metrics(m) {}
};

// Registers a session with its worker so shutdown can reach it; the returned id unregisters.
uint64_t register_session(Worker& w, ServerState& s, std::weak_ptr<Session> session);
void unregister_session(Worker& w, uint64_t id);

// Starts an HTTP session on an accepted socket (on that socket's worker).
void start_http_session(Worker& worker, std::shared_ptr<ServerState> state,
                        boost::asio::ip::tcp::socket socket);
// Takes over a stream whose request asked for a WebSocket upgrade on a route that has one.
void start_ws_session(Worker& worker, std::shared_ptr<ServerState> state, TlsStream stream,
                      Request request, const WsHandlerFactory& factory,
                      boost::beast::http::request<boost::beast::http::string_body> upgrade);

Result<boost::asio::ssl::context> make_tls_context(const std::string& cert_chain_pem,
                                                   const std::string& key_pem,
                                                   const std::string& min_version,
                                                   const std::string& client_ca_pem);
// The CN of the peer's certificate when one was presented and verified, else "".
std::string verified_peer_cn(SSL* ssl);

}  // namespace ris::net
