#include "ris/net/server.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <thread>

#include "ris/core/log.hpp"
#include "server_state.hpp"

namespace ris::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

NetMetrics::NetMetrics(metrics::Registry& r)
    : requests(r.counter("ris_server_requests_total",
                         "HTTP requests answered, by route, method and status",
                         {"route", "method", "status"})),
      latency(r.histogram(
          "ris_server_request_duration_seconds",
          "Time from a request's first byte to its response written, by route", {"route"},
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      rejected(r.counter(
          "ris_server_rejected_total",
          "Connections or requests refused: tls, timeout, header_too_large, "
          "body_too_large, bad_request, accept_rate (a WebSocket path's cap on new connections)",
          {"reason"})),
      ws_received(r.counter("ris_websocket_messages_received_total", "WebSocket messages received")
                      .with({})),
      ws_sent(r.counter("ris_websocket_messages_sent_total", "WebSocket messages sent").with({})),
      ws_overflow(r.counter("ris_websocket_send_queue_overflows_total",
                            "WebSocket connections cut off because their send queue was full")
                      .with({})),
      connections_accepted(
          r.counter("ris_server_connections_accepted_total", "TCP connections accepted").with({})) {
}

uint64_t register_session(Worker& w, ServerState& s, std::weak_ptr<Session> session) {
  const uint64_t id = s.next_session_id.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(w.mu);
  w.sessions.emplace(id, std::move(session));
  return id;
}

void unregister_session(Worker& w, uint64_t id) {
  std::lock_guard lock(w.mu);
  w.sessions.erase(id);
}

struct Server::Impl {
  ServerConfig config;
  TlsPem tls;
  const Router& router;
  metrics::Registry& registry;
  std::shared_ptr<ServerState> state;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::unique_ptr<tcp::acceptor> acceptor;
  size_t next_worker = 0;
  uint16_t port = 0;
  bool stopped = false;

  Impl(const ServerConfig& c, TlsPem t, const Router& r, metrics::Registry& m)
      : config(c), tls(std::move(t)), router(r), registry(m) {}

  void accept() {
    Worker& target = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    acceptor->async_accept(target.ioc, [this, &target](boost::system::error_code ec,
                                                       tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open())
        return;
      if (ec) {
        // Out of descriptors (EMFILE) or similar: log, pause briefly, keep
        // serving the rest.
        log::warn("accept_failed", {{"error", ec.message()}});
        auto timer =
            std::make_shared<asio::steady_timer>(workers[0]->ioc, std::chrono::milliseconds(50));
        timer->async_wait([this, timer](boost::system::error_code) {
          if (acceptor->is_open())
            accept();
        });
        return;
      }
      state->metrics.connections_accepted.inc();
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const bool full =
          state->handshakes.fetch_add(1) + 1 >= static_cast<int64_t>(state->config.max_handshakes);
      start_http_session(target, state, std::move(socket));
      if (!full)
        return accept();
      // Paused until a handshake ends (handshake_finished); one that
      // ended meanwhile finds the flag unset, so look again.
      state->accept_paused = true;
      if (state->handshakes.load() < static_cast<int64_t>(state->config.max_handshakes) &&
          state->accept_paused.exchange(false))
        accept();
    });
  }
};

Server::Server(const ServerConfig& config, TlsPem tls, const Router& router,
               metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(config, std::move(tls), router, metrics)) {}

Server::~Server() {
  shutdown(std::chrono::milliseconds(0));
  // Destroy what the contexts still hold (sessions) while the state they refer to is alive.
  impl_->acceptor.reset();
  impl_->workers.clear();
}

Result<void> Server::start() {
  auto& m = *impl_;
  RIS_TRY(auto ctx, make_tls_context(m.tls.cert_chain, m.tls.private_key, m.config.tls_min_version,
                                     m.tls.client_ca));
  m.state = std::make_shared<ServerState>(m.config, m.router, std::move(ctx), m.registry);
  auto state = m.state;
  m.registry.callback_gauge(
      "ris_connections_open_http", "Open HTTP connections (TLS, before any upgrade)",
      [state] { return static_cast<double>(state->http_connections.load()); });
  m.registry.callback_gauge("ris_connections_open_websocket", "Open WebSocket connections",
                            [state] { return static_cast<double>(state->ws_connections.load()); });

  const unsigned n = std::max(1u, m.config.threads);
  for (unsigned i = 0; i < n; ++i) {
    m.workers.push_back(std::make_unique<Worker>());
    m.guards.emplace_back(asio::make_work_guard(m.workers.back()->ioc));
  }

  boost::system::error_code ec;
  auto address = asio::ip::make_address(m.config.listen_host, ec);
  if (ec)
    return fail(Errc::invalid_argument,
                fmt::format("listen address '{}' is not an IP address", m.config.listen_host));
  tcp::endpoint ep(address, m.config.listen_port);
  m.acceptor = std::make_unique<tcp::acceptor>(m.workers[0]->ioc);
  m.acceptor->open(ep.protocol(), ec);
  if (!ec)
    m.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    m.acceptor->bind(ep, ec);
  if (!ec)
    m.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return fail(Errc::unavailable, fmt::format("cannot listen on {}:{}: {}", m.config.listen_host,
                                               m.config.listen_port, ec.message()));
  m.port = m.acceptor->local_endpoint().port();
  m.state->resume_accepting = [&m] {
    asio::post(m.workers[0]->ioc, [&m] {
      if (m.acceptor && m.acceptor->is_open())
        m.accept();
    });
  };
  asio::post(m.workers[0]->ioc, [&m] { m.accept(); });
  for (auto& w : m.workers) {
    Worker* worker = w.get();
    m.threads.emplace_back([worker] { worker->ioc.run(); });
  }
  return {};
}

uint16_t Server::port() const {
  return impl_->port;
}

int64_t Server::open_connections() const {
  if (!impl_->state)
    return 0;
  return impl_->state->http_connections.load() + impl_->state->ws_connections.load();
}

void Server::shutdown(std::chrono::milliseconds grace) {
  auto& m = *impl_;
  if (m.stopped || !m.state)
    return;
  m.stopped = true;
  m.state->shutting_down = true;
  asio::post(m.workers[0]->ioc, [&m] {
    boost::system::error_code ignored;
    m.acceptor->close(ignored);
  });
  for (auto& w : m.workers) {
    Worker* worker = w.get();
    asio::post(worker->ioc, [worker] {
      std::vector<std::shared_ptr<Session>> live;
      {
        std::lock_guard lock(worker->mu);
        for (auto& [id, weak] : worker->sessions)
          if (auto s = weak.lock())
            live.push_back(std::move(s));
      }
      for (auto& s : live)
        s->begin_shutdown();
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (open_connections() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const int64_t left = open_connections();
  if (left > 0)
    log::warn("shutdown_forced", {{"connections_left", left}});
  m.guards.clear();
  for (auto& w : m.workers)
    w->ioc.stop();
  for (auto& t : m.threads)
    t.join();
  m.threads.clear();
  // The workers (and the sessions their contexts still hold) live on until ~Server: a handler
  // on another thread may still own a session and unregister it from its worker when done.
}

}  // namespace ris::net
