// One TLS connection speaking HTTP/1.1: handshake, then requests one at a time (keep-alive),
// each bounded in header size and time, body size and time. A WebSocket upgrade hands the
// stream over to ws_session.cpp.
#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <optional>

#include "ris/core/ids.hpp"
#include "ris/core/log.hpp"
#include "server_state.hpp"

namespace ris::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class HttpSession : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Worker& worker, std::shared_ptr<ServerState> state, tcp::socket socket)
      : worker_(worker), state_(std::move(state)), stream_(std::move(socket), state_->tls) {
    ++state_->http_connections;
    boost::system::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ = ep.address().to_string();
  }
  ~HttpSession() override {
    end_handshake();
    --state_->http_connections;
    if (id_)
      unregister_session(worker_, id_);
  }

  void run() {
    id_ = register_session(worker_, *state_, weak_from_this());
    if (state_->shutting_down)
      return;  // raced with shutdown: just drop the connection (the destructor ends the slot)
    stream_.expires_after(state_->config.handshake_timeout);
    stream_.async_handshake(
        [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

  void begin_shutdown() override {
    shutting_down_ = true;
    // A request being handled finishes and is answered with Connection: close. A connection
    // waiting for (the rest of) a request's headers has nothing in flight: stop waiting.
    if (!handling_)
      stream_.cancel();
  }

 private:
  void end_handshake() {
    if (handshaking_) {
      handshaking_ = false;
      state_->handshake_finished();
    }
  }

  void on_handshake(beast::error_code ec) {
    end_handshake();
    if (ec) {
      state_->metrics.rejected.with({"tls"}).inc();
      return;  // the socket closes as this session is released
    }
    wait_for_request();
  }

  // Between requests: wait (keep-alive timeout) for the first byte, then give the client
  // header_timeout for the whole header — so a trickling client cannot hold the connection.
  void wait_for_request() {
    if (shutting_down_)
      return close();
    if (buffer_.size() > 0 || first_request_)
      return read_header();
    stream_.expires_after(state_->config.keepalive_timeout);
    stream_.async_read_some(buffer_.prepare(512),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec)
                                return self->close();
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    first_request_ = false;
    upload_ = false;
    started_ = Clock::now();
    request_id_ = new_id();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(state_->config.max_header_bytes));
    // The parser checks Content-Length against the limit while it reads the header, before the
    // route is known; start at the larger limit and narrow it in on_header.
    parser_->body_limit(std::max(state_->config.max_body_bytes, state_->config.max_upload_bytes));
    stream_.expires_after(state_->config.header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec)
      return on_read_error(ec);
    handling_ = true;
    auto& req = parser_->get();
    if (beast::websocket::is_upgrade(req))
      return upgrade();
    upload_ = state_->router.is_upload(req.method_string(), req.target());
    const auto limit = upload_ ? state_->config.max_upload_bytes : state_->config.max_body_bytes;
    if (const auto length = parser_->content_length(); length && *length > limit)
      return on_read_error(http::error::body_limit);
    parser_->body_limit(limit);  // chunked bodies are counted as they arrive
    // Tell a client that waits for 100-continue to go ahead; we read the body either way.
    stream_.expires_after(state_->config.body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      state_->metrics.rejected.with({"header_too_large"}).inc();
      return reply_and_close(problem(431, "header-too-large", "Request header fields too large",
                                     "the request's headers exceed max-header-bytes"));
    }
    if (ec == http::error::body_limit) {
      state_->metrics.rejected.with({"body_too_large"}).inc();
      return reply_and_close(problem(413, "body-too-large", "Content too large",
                                     upload_ ? "the upload exceeds max-upload-bytes"
                                             : "the request's body exceeds max-body-bytes"));
    }
    if (ec == beast::error::timeout) {
      state_->metrics.rejected.with({"timeout"}).inc();
      return close();
    }
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::ssl::error::stream_truncated ||
        ec == boost::asio::error::operation_aborted || ec == boost::asio::error::connection_reset)
      return close();
    state_->metrics.rejected.with({"bad_request"}).inc();
    reply_and_close(
        problem(400, "bad-request", "Bad request", "the request is not valid HTTP/1.1"));
  }

  void on_body(beast::error_code ec) {
    if (ec)
      return on_read_error(ec);
    auto msg = parser_->release();
    parser_.reset();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == http::verb::head;

    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.remote_address = remote_;
    req.request_id = request_id_;
    req.peer_identity = verified_peer_cn(stream_.native_handle());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.body = std::move(msg.body());
    method_ = req.method;
    target_ = req.target;

    auto parsed = parse_target(req.target);
    if (!parsed) {
      route_ = "unmatched";
      return write(problem(parsed.error()));
    }
    req.path = std::move(parsed->path);
    req.query = std::move(parsed->query);
    auto m = state_->router.match(req);
    route_ = m.route;
    if (!m.handler) {
      if (m.status == 405) {
        auto r = problem(405, "method-not-allowed", "Method not allowed",
                         req.method + " is not supported on " + req.path);
        r.headers.emplace_back("Allow", m.allow);
        return write(std::move(r));
      }
      return write(problem(404, "not-found", "Not found", "no resource at " + req.path));
    }
    // The handler may answer from another thread (worker pool); hop back to ours to write.
    auto reply = [self = shared_from_this()](Response r) {
      auto ex = self->stream_.get_executor();
      boost::asio::post(
          ex, [self = std::move(self), r = std::move(r)]() mutable { self->write(std::move(r)); });
    };
    (*m.handler)(req, std::move(reply));
  }

  void upgrade() {
    auto& req = parser_->get();
    Request r;
    r.method = "GET";
    r.target = std::string(req.target());
    r.remote_address = remote_;
    r.request_id = request_id_;
    r.peer_identity = verified_peer_cn(stream_.native_handle());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    auto parsed = parse_target(r.target);
    const Router::WsRoute* route = parsed ? state_->router.websocket(parsed->path) : nullptr;
    method_ = "GET";
    target_ = r.target;
    keep_alive_ = false;
    version_ = req.version();
    if (!route) {
      route_ = "unmatched";
      return write(problem(404, "not-found", "Not found", "no WebSocket endpoint at " + r.target));
    }
    if (shutting_down_) {
      route_ = parsed->path;
      return write(
          problem(503, "shutting-down", "Service unavailable", "the server is shutting down"));
    }
    if (route->rate && !route->rate->take()) {
      route_ = parsed->path;
      state_->metrics.rejected.with({"accept_rate"}).inc();
      return write(problem(Error{Errc::busy, "too many connections are opening at once; retry"}));
    }
    r.path = std::move(parsed->path);
    r.query = std::move(parsed->query);
    log::info("websocket_upgrade",
              {{"request_id", r.request_id}, {"path", r.path}, {"remote", remote_}});
    stream_.expires_never();
    // Any bytes already read past the headers would belong to the WebSocket; a client must wait
    // for the 101, so there are none — and Beast's parser has consumed exactly the header.
    start_ws_session(worker_, state_, std::move(stream_), std::move(r), route->factory,
                     parser_->release());
  }

  void reply_and_close(Response r) {
    keep_alive_ = false;
    method_ = parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string())
                                                   : "UNKNOWN";
    route_ = "unmatched";
    version_ = 11;
    write(std::move(r));
  }

  void write(Response r) {
    if (shutting_down_)
      keep_alive_ = false;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version_);
    res->set(http::field::server, "risd");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Request-Id", request_id_);
    for (auto& [k, v] : r.headers)
      res->set(k, v);
    status_ = r.status;
    if (!head_)
      res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    if (head_)
      res->body().clear();
    stream_.expires_after(state_->config.body_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res](beast::error_code ec, size_t) { self->on_written(ec); });
  }

  void on_written(beast::error_code ec) {
    handling_ = false;
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    const std::string status = std::to_string(status_);
    state_->metrics.requests.with({route_, method_, status}).inc();
    state_->metrics.latency.with({route_}).observe(seconds);
    log::info("http_request", {{"request_id", request_id_},
                               {"method", method_},
                               {"target", target_},
                               {"route", route_},
                               {"status", status_},
                               {"duration_us", static_cast<int64_t>(seconds * 1e6)},
                               {"remote", remote_}});
    head_ = false;
    if (ec || !keep_alive_)
      return close();
    // Buffers that grew for one big message shrink back.
    if (buffer_.capacity() > 64 * 1024 && buffer_.size() == 0)
      buffer_ = beast::flat_buffer();
    wait_for_request();
  }

  void close() {
    if (closing_)
      return;
    closing_ = true;
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.socket().close(ignored);
    });
  }

  Worker& worker_;
  std::shared_ptr<ServerState> state_;
  TlsStream stream_;
  beast::flat_buffer buffer_;  // bounded by the parser's header and body limits
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_, method_, route_, target_, request_id_;
  Clock::time_point started_ = Clock::now();
  uint64_t id_ = 0;
  int status_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true, head_ = false, first_request_ = true, upload_ = false;
  bool shutting_down_ = false, closing_ = false, handling_ = false;
  bool handshaking_ = true;  // holds one of the server's handshake slots (ServerState)
};

}  // namespace

void start_http_session(Worker& worker, std::shared_ptr<ServerState> state, tcp::socket socket) {
  auto session = std::make_shared<HttpSession>(worker, std::move(state), std::move(socket));
  boost::asio::dispatch(worker.ioc, [session] { session->run(); });
}

}  // namespace ris::net
