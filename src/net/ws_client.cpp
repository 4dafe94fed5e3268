// The WebSocket client and its event loop. One outstanding read and one write at a time; writes
// queue in memory up to a byte limit. Used by ris-agent (and risbench), one loop thread each.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <optional>

#include "client_tls.hpp"

namespace ris::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;

struct ClientLoop::Impl {
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      io.get_executor()};
};

ClientLoop::ClientLoop() : impl_(std::make_unique<Impl>()) {}
ClientLoop::~ClientLoop() = default;
void ClientLoop::run() {
  impl_->io.run();
}
void ClientLoop::stop() {
  impl_->work.reset();
  impl_->io.stop();
}
void ClientLoop::post(std::function<void()> fn) {
  boost::asio::post(impl_->io, std::move(fn));
}
void* ClientLoop::native() {
  return &impl_->io;
}

std::function<void()> ClientLoop::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(impl_->io, delay);
  timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
    if (!ec)
      fn();
  });
  return [timer] { timer->cancel(); };
}

namespace {

class WsClientImpl : public WsClient, public std::enable_shared_from_this<WsClientImpl> {
 public:
  WsClientImpl(boost::asio::io_context& io, std::shared_ptr<const PreparedTls> tls, Url url,
               Callbacks cb, size_t max_message, size_t max_queue)
      : io_(io),
        tls_(std::move(tls)),
        ws_(io, tls_->context()),
        resolver_(io),
        url_(std::move(url)),
        cb_(std::move(cb)),
        max_queue_(max_queue) {
    ws_.read_message_max(max_message);
  }

  void start(std::chrono::milliseconds timeout) {
    SSL_set_tlsext_host_name(ws_.next_layer().native_handle(), url_.host.c_str());
    beast::get_lowest_layer(ws_).expires_after(timeout);
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
          if (ec)
            return self->finish("cannot resolve " + self->url_.host + ": " + ec.message());
          if (!self->url_.source_address.empty()) {
            auto& socket = beast::get_lowest_layer(self->ws_).socket();
            boost::system::error_code bec;
            const auto local = boost::asio::ip::make_address(self->url_.source_address, bec);
            if (!bec)
              socket.open(local.is_v4() ? tcp::v4() : tcp::v6(), bec);
            if (!bec)
              socket.bind(tcp::endpoint(local, 0), bec);
            if (bec)
              return self->finish("cannot bind to " + self->url_.source_address + ": " +
                                  bec.message());
            return beast::get_lowest_layer(self->ws_).async_connect(
                r.begin()->endpoint(), [self](boost::system::error_code ec2) {
                  if (ec2)
                    return self->finish("cannot connect: " + ec2.message());
                  self->handshake();
                });
          }
          beast::get_lowest_layer(self->ws_).async_connect(
              r, [self](boost::system::error_code ec2, const tcp::endpoint&) {
                if (ec2)
                  return self->finish("cannot connect: " + ec2.message());
                self->handshake();
              });
        });
  }

  void send(std::string text) override {
    boost::asio::post(io_, [self = shared_from_this(), text = std::move(text)]() mutable {
      if (self->closed_)
        return;
      self->queued_ += text.size();
      if (self->queued_ > self->max_queue_)
        return self->finish("send queue over its limit");
      self->queue_.push_back(std::move(text));
      if (self->open_ && self->queue_.size() == 1)
        self->write_next();
    });
  }

  void close() override {
    boost::asio::post(io_, [self = shared_from_this()] {
      if (self->closed_)
        return;
      if (!self->open_)
        return self->finish("closed");
      self->ws_.async_close(websocket::close_code::normal,
                            [self](boost::system::error_code) { self->finish("closed"); });
    });
  }

 private:
  void handshake() {
    // Small frames (acks, results) go out at once: Nagle's wait for the peer's delayed ACK
    // would add 40 ms to a task's round trip.
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
    ws_.next_layer().async_handshake(
        boost::asio::ssl::stream_base::client,
        [self = shared_from_this()](boost::system::error_code ec) {
          if (ec)
            return self->finish("TLS handshake failed: " + ec.message());
          auto ok = verify_server(self->ws_.next_layer().native_handle(), self->tls_->settings(),
                                  self->url_.host);
          if (!ok)
            return self->finish(ok.error().message);
          self->upgrade();
        });
  }

  void upgrade() {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.async_handshake(url_.host, url_.target,
                        [self = shared_from_this()](boost::system::error_code ec) {
                          if (ec)
                            return self->finish("WebSocket upgrade refused: " + ec.message());
                          self->open_ = true;
                          if (self->cb_.on_open)
                            self->cb_.on_open();
                          if (!self->queue_.empty())
                            self->write_next();
                          self->read();
                        });
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec)
        return self->finish(ec == websocket::error::closed ? "closed by the server" : ec.message());
      const auto data = self->buffer_.cdata();
      const std::string_view text(static_cast<const char*>(data.data()), data.size());
      if (self->cb_.on_message && !self->closed_)
        self->cb_.on_message(text);
      self->buffer_.consume(self->buffer_.size());
      if (self->buffer_.capacity() > 64 * 1024)
        self->buffer_.shrink_to_fit();
      if (!self->closed_)
        self->read();
    });
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(queue_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      if (ec)
                        return self->finish("write failed: " + ec.message());
                      self->queued_ -= self->queue_.front().size();
                      self->queue_.pop_front();
                      if (!self->queue_.empty() && !self->closed_)
                        self->write_next();
                    });
  }

  void finish(std::string reason) {
    if (closed_)
      return;
    closed_ = true;
    open_ = false;
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    if (cb_.on_close)
      cb_.on_close(std::move(reason));
    cb_ = {};  // break cycles through captured handles
  }

  boost::asio::io_context& io_;
  std::shared_ptr<const PreparedTls> tls_;  // before ws_: its SSL object uses the context
  websocket::stream<ClientStream> ws_;
  tcp::resolver resolver_;
  Url url_;
  Callbacks cb_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  size_t queued_ = 0, max_queue_;
  bool open_ = false, closed_ = false;
};

}  // namespace

std::shared_ptr<WsClient> WsClient::connect(ClientLoop& loop, const Url& url, const ClientTls& tls,
                                            Callbacks callbacks, std::chrono::milliseconds timeout,
                                            size_t max_message_bytes, size_t max_queue_bytes) {
  auto prepared = prepare_tls(tls);
  if (!prepared) {
    auto& io = *static_cast<boost::asio::io_context*>(loop.native());
    auto on_close = std::move(callbacks.on_close);
    boost::asio::post(io, [on_close, msg = prepared.error().message] {
      if (on_close)
        on_close(msg);
    });
    return nullptr;
  }
  return connect(loop, url, std::move(*prepared), std::move(callbacks), timeout, max_message_bytes,
                 max_queue_bytes);
}

std::shared_ptr<WsClient> WsClient::connect(ClientLoop& loop, const Url& url,
                                            std::shared_ptr<const PreparedTls> tls,
                                            Callbacks callbacks, std::chrono::milliseconds timeout,
                                            size_t max_message_bytes, size_t max_queue_bytes) {
  auto& io = *static_cast<boost::asio::io_context*>(loop.native());
  auto c = std::make_shared<WsClientImpl>(io, std::move(tls), url, std::move(callbacks),
                                          max_message_bytes, max_queue_bytes);
  boost::asio::post(io, [c, timeout] { c->start(timeout); });
  return c;
}

}  // namespace ris::net
