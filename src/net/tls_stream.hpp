// Private to src/net: risd's TLS stream. OpenSSL runs straight on the non-blocking socket and the
// stream waits for readiness when OpenSSL asks for it, instead of going through Asio's
// ssl::stream. Why: Asio's engine holds two 17 KiB buffers and a 2 × 17 KiB BIO pair for each
// connection's whole life — ~68 KiB of the ~80 KiB an idle agent cost risd (heaptrack, see
// BENCHMARKS.md). Here OpenSSL's record buffers exist only while a record is in flight
// (SSL_MODE_RELEASE_BUFFERS), so an idle connection costs little more than its SSL state.
//
// Server side only. Not thread-safe: every operation of one stream runs on one thread (each
// risd worker has its own single-threaded io_context), which is also what OpenSSL needs — a
// read and a write may be pending together, but never run at the same time.
#pragma once
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <chrono>
#include <memory>

namespace ris::net {

namespace tls_detail {

using boost::system::error_code;
using tcp = boost::asio::ip::tcp;

struct Core;  // the socket, the SSL object and the deadline; stable while operations run

// What one OpenSSL call came to: done (with bytes moved), or wait for the socket first.
struct Step {
  enum Want { done, read, write } want = done;
  std::size_t bytes = 0;
  error_code ec;
};

Step handshake_step(Core& core);
Step read_step(Core& core, boost::asio::mutable_buffer buffer);
Step write_step(Core& core, boost::asio::const_buffer buffer);
Step shutdown_step(Core& core);
tcp::socket& socket_of(Core& core);
bool timed_out(const Core& core);

// One operation: call OpenSSL, wait for the socket as long as it asks to, complete. A result
// that is there at once is posted, so a handler never runs inside the call that started it.
template <class StepFn, bool WithBytes>
struct Op {
  Core* core;
  StepFn step;
  std::unique_ptr<char[]> owned;  // a write's gathered buffers, when there were several
  enum { initial, waiting, posted } state = initial;
  Step result{};

  template <class Self>
  void operator()(Self& self, error_code ec = {}) {
    if (state == posted)
      return finish(self);
    if (state == waiting && ec) {
      result = {Step::done, 0, timed_out(*core) ? error_code(boost::beast::error::timeout) : ec};
      return finish(self);
    }
    result = timed_out(*core) ? Step{Step::done, 0, boost::beast::error::timeout} : step(*core);
    if (result.want != Step::done) {
      state = waiting;
      return socket_of(*core).async_wait(
          result.want == Step::read ? tcp::socket::wait_read : tcp::socket::wait_write,
          std::move(self));
    }
    if (state == initial) {
      state = posted;
      auto ex = socket_of(*core).get_executor();
      return boost::asio::post(ex, std::move(self));
    }
    finish(self);
  }

  template <class Self>
  void finish(Self& self) {
    owned.reset();
    if constexpr (WithBytes)
      self.complete(result.ec, result.bytes);
    else
      self.complete(result.ec);
  }
};

template <bool WithBytes, class StepFn>
Op<StepFn, WithBytes> make_op(Core* core, StepFn step, std::unique_ptr<char[]> owned = {}) {
  return Op<StepFn, WithBytes>{core, std::move(step), std::move(owned)};
}

}  // namespace tls_detail

class TlsStream {
 public:
  using tcp = boost::asio::ip::tcp;
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;
  using lowest_layer_type = tcp::socket;

  TlsStream(tcp::socket socket, boost::asio::ssl::context& ctx);
  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) noexcept = default;
  ~TlsStream();

  executor_type get_executor() noexcept { return socket().get_executor(); }
  tcp::socket& next_layer() noexcept { return socket(); }
  tcp::socket& socket() noexcept { return tls_detail::socket_of(*core_); }
  SSL* native_handle() noexcept;

  // A deadline for what follows, as beast::tcp_stream has: once it passes, the pending
  // operation and every later one fail with beast::error::timeout, until the next deadline.
  void expires_after(std::chrono::steady_clock::duration d);
  void expires_never();
  // Pending operations complete with operation_aborted.
  void cancel();

  template <class Handler>
  auto async_handshake(Handler&& handler) {
    return boost::asio::async_compose<Handler, void(boost::system::error_code)>(
        tls_detail::make_op<false>(core_.get(), &tls_detail::handshake_step), handler, socket());
  }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    boost::asio::mutable_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it)
      if (boost::asio::mutable_buffer b(*it); b.size() > 0) {
        first = b;
        break;
      }
    return boost::asio::async_compose<Handler, void(boost::system::error_code, std::size_t)>(
        tls_detail::make_op<true>(
            core_.get(), [first](tls_detail::Core& c) { return tls_detail::read_step(c, first); }),
        handler, socket());
  }

  // Several buffers (a WebSocket frame's header and payload) are gathered into one TLS record
  // rather than sent as a record each.
  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    constexpr std::size_t record = 16 * 1024;
    auto it = boost::asio::buffer_sequence_begin(buffers);
    const auto end = boost::asio::buffer_sequence_end(buffers);
    boost::asio::const_buffer first;
    for (; it != end; ++it)
      if (boost::asio::const_buffer b(*it); b.size() > 0) {
        first = b;
        break;
      }
    std::unique_ptr<char[]> owned;
    if (first.size() < record && boost::asio::buffer_size(buffers) > first.size()) {
      const std::size_t n = std::min(record, boost::asio::buffer_size(buffers));
      owned.reset(new char[n]);
      boost::asio::buffer_copy(boost::asio::buffer(owned.get(), n), buffers);
      first = boost::asio::const_buffer(owned.get(), n);
    }
    return boost::asio::async_compose<Handler, void(boost::system::error_code, std::size_t)>(
        tls_detail::make_op<true>(
            core_.get(), [first](tls_detail::Core& c) { return tls_detail::write_step(c, first); },
            std::move(owned)),
        handler, socket());
  }

  // Sends close_notify and waits for the peer's.
  template <class Handler>
  auto async_shutdown(Handler&& handler) {
    return boost::asio::async_compose<Handler, void(boost::system::error_code)>(
        tls_detail::make_op<false>(core_.get(), &tls_detail::shutdown_step), handler, socket());
  }

 private:
  std::shared_ptr<tls_detail::Core> core_;  // shared with the deadline's timer handler
};

// Beast's WebSocket close finds these by argument-dependent lookup: TLS close_notify both ways,
// then the TCP teardown.
void teardown(boost::beast::role_type role, TlsStream& stream, boost::system::error_code& ec);

namespace tls_detail {
struct TeardownOp {
  TlsStream& stream;
  boost::beast::role_type role;
  int stage = 0;
  error_code first;

  template <class Self>
  void operator()(Self& self, error_code ec = {}) {
    switch (stage++) {
      case 0:
        return stream.async_shutdown(std::move(self));
      case 1:
        first = ec;
        using boost::beast::websocket::async_teardown;
        return async_teardown(role, stream.socket(), std::move(self));
      default:
        self.complete(first ? first : ec);
    }
  }
};
}  // namespace tls_detail

template <class Handler>
void async_teardown(boost::beast::role_type role, TlsStream& stream, Handler&& handler) {
  boost::asio::async_compose<Handler, void(boost::system::error_code)>(
      tls_detail::TeardownOp{stream, role}, handler, stream.socket());
}

}  // namespace ris::net
