// One WebSocket connection after the upgrade: a read loop handing text messages to the
// endpoint's WsHandler, and a send queue bounded in bytes. Past the bound the peer is cut off:
// a reader that cannot keep up must not make the server hold its backlog.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>

#include "ris/core/log.hpp"
#include "server_state.hpp"

namespace ris::net {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

class WsSession : public Session,
                  public WsConnection,
                  public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Worker& worker, std::shared_ptr<ServerState> state, TlsStream stream, Request request)
      : worker_(worker),
        state_(std::move(state)),
        ws_(std::move(stream)),
        request_(std::move(request)) {
    ++state_->ws_connections;
  }
  ~WsSession() override {
    --state_->ws_connections;
    if (id_)
      unregister_session(worker_, id_);
  }

  void run(const WsHandlerFactory& factory, http::request<http::string_body> upgrade) {
    id_ = register_session(worker_, *state_, weak_from_this());
    const auto& c = state_->config;
    websocket::stream_base::timeout t{};
    t.handshake_timeout = c.handshake_timeout;
    t.idle_timeout = c.ws_idle_timeout;
    t.keep_alive_pings = true;  // ping at half the idle timeout; no pong by the end → closed
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "risd"); }));
    ws_.read_message_max(c.max_ws_message_bytes);
    ws_.auto_fragment(false);
    factory_ = &factory;
    ws_.async_accept(upgrade,
                     [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
  }

  // --- WsConnection: callable from any thread ---
  bool send(std::shared_ptr<const std::string> text) override {
    if (closed_.load(std::memory_order_relaxed))
      return false;
    boost::asio::dispatch(ws_.get_executor(),
                          [self = shared_from_this(), text = std::move(text)]() mutable {
                            self->enqueue(std::move(text));
                          });
    return true;
  }
  void close(uint16_t code, std::string reason) override {
    boost::asio::dispatch(ws_.get_executor(), [self = shared_from_this(), code,
                                               reason = std::move(reason)] {
      self->start_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason));
    });
  }
  const std::string& remote_address() const override { return request_.remote_address; }
  std::weak_ptr<WsConnection> weak() override {
    return std::weak_ptr<WsConnection>(shared_from_this());
  }

  void begin_shutdown() override {
    start_close(websocket::close_reason(websocket::close_code::going_away));
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec)
      return finish();
    handler_ = (*factory_)(*this, request_);  // after the handshake: it may send at once
    read();
  }

  void read() {
    ws_.async_read(
        buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    // message_too_big: Beast has already sent close 1009. timeout: the idle limit with pings.
    if (ec)
      return finish();
    state_->metrics.ws_received.inc();
    if (!ws_.got_text()) {
      start_close(websocket::close_reason(websocket::close_code::bad_payload, "text frames only"));
      return read();  // keep reading so the peer's close reply is seen
    }
    auto data = buffer_.cdata();
    if (handler_)
      handler_->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 64 * 1024)
      buffer_ = beast::flat_buffer();  // shrink after a big message
    read();
  }

  void enqueue(std::shared_ptr<const std::string> text) {
    if (closed_ || close_pending_)
      return;
    if (queued_bytes_ + text->size() > state_->config.ws_write_queue_bytes) {
      state_->metrics.ws_overflow.inc();
      log::warn("websocket_send_queue_overflow", {{"remote", request_.remote_address},
                                                  {"path", request_.path},
                                                  {"queued_bytes", queued_bytes_}});
      return cut_off();
    }
    queued_bytes_ += text->size();
    queue_.push_back(std::move(text));
    if (!writing_)
      write_next();
  }

  void write_next() {
    if (queue_.empty()) {
      writing_ = false;
      if (close_pending_)
        do_close();
      return;
    }
    writing_ = true;
    ws_.text(true);
    auto& front = queue_.front();
    ws_.async_write(boost::asio::buffer(*front),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->queued_bytes_ -= self->queue_.front()->size();
                      self->queue_.pop_front();
                      if (ec)
                        return self->cut_off();
                      self->state_->metrics.ws_sent.inc();
                      self->write_next();
                    });
  }

  void start_close(websocket::close_reason reason) {
    if (closed_ || close_pending_)
      return;
    close_pending_ = true;
    close_reason_ = reason;
    if (!writing_)
      do_close();  // else after the queued frames are written
  }

  void do_close() {
    if (closed_)
      return;
    closed_ = true;
    ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) {
      // The read loop sees the peer's close and ends the session.
    });
  }

  // Hard stop: no close handshake (the peer is not reading anyway).
  void cut_off() {
    closed_ = true;
    beast::error_code ignored;
    ws_.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    ws_.next_layer().socket().close(ignored);
  }

  void finish() {
    closed_ = true;
    if (handler_) {
      handler_->on_close();
      handler_.reset();
    }
  }

  Worker& worker_;
  std::shared_ptr<ServerState> state_;
  websocket::stream<TlsStream> ws_;
  Request request_;
  const WsHandlerFactory* factory_ = nullptr;  // owned by the Router, which outlives sessions
  std::unique_ptr<WsHandler> handler_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  size_t queued_bytes_ = 0;
  uint64_t id_ = 0;
  websocket::close_reason close_reason_;
  std::atomic<bool> closed_{false};
  bool writing_ = false, close_pending_ = false;
};

}  // namespace

void start_ws_session(Worker& worker, std::shared_ptr<ServerState> state, TlsStream stream,
                      Request request, const WsHandlerFactory& factory,
                      http::request<http::string_body> upgrade) {
  auto session =
      std::make_shared<WsSession>(worker, std::move(state), std::move(stream), std::move(request));
  session->run(factory, std::move(upgrade));
}

}  // namespace ris::net
