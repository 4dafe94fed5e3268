// risd's TLS stream: the OpenSSL calls and the deadline (see tls_stream.hpp for why).
#include "tls_stream.hpp"

#include <openssl/err.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>

namespace ris::net {

namespace tls_detail {

struct Core {
  tcp::socket socket;
  SSL* ssl = nullptr;
  boost::asio::steady_timer timer;
  uint64_t deadline = 0;  // which expires_after the timer serves: a stale expiry is ignored
  bool timed_out = false;

  explicit Core(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  ~Core() {
    if (ssl)
      SSL_free(ssl);
  }
};

tcp::socket& socket_of(Core& core) {
  return core.socket;
}
bool timed_out(const Core& core) {
  return core.timed_out;
}

namespace {

// What SSL_get_error says after a call that did not succeed, as Asio's ssl::stream reports it
// (so callers' checks for eof and stream_truncated keep working).
Step failed(Core& core, int ret) {
  const int saved_errno = errno;
  switch (SSL_get_error(core.ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return {Step::read};
    case SSL_ERROR_WANT_WRITE:
      return {Step::write};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {Step::done, 0, boost::asio::error::eof};
    case SSL_ERROR_SYSCALL:
      if (const unsigned long e = ERR_get_error())
        return {Step::done, 0,
                error_code(static_cast<int>(e), boost::asio::error::get_ssl_category())};
      if (saved_errno != 0 && saved_errno != EAGAIN)
        return {Step::done, 0, error_code(saved_errno, boost::system::system_category())};
      return {Step::done, 0, boost::asio::ssl::error::stream_truncated};
    default: {
      const unsigned long e = ERR_get_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return {Step::done, 0, boost::asio::ssl::error::stream_truncated};
      return {Step::done, 0,
              error_code(static_cast<int>(e), boost::asio::error::get_ssl_category())};
    }
  }
}

}  // namespace

Step handshake_step(Core& core) {
  if (!core.ssl)
    return {Step::done, 0, boost::asio::error::no_memory};
  ERR_clear_error();
  errno = 0;
  const int r = SSL_do_handshake(core.ssl);
  return r == 1 ? Step{} : failed(core, r);
}

Step read_step(Core& core, boost::asio::mutable_buffer buffer) {
  if (buffer.size() == 0)
    return {};
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  const int r = SSL_read_ex(core.ssl, buffer.data(), buffer.size(), &n);
  return r == 1 ? Step{Step::done, n, {}} : failed(core, r);
}

Step write_step(Core& core, boost::asio::const_buffer buffer) {
  if (buffer.size() == 0)
    return {};
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  const int r = SSL_write_ex(core.ssl, buffer.data(), buffer.size(), &n);
  return r == 1 ? Step{Step::done, n, {}} : failed(core, r);
}

Step shutdown_step(Core& core) {
  ERR_clear_error();
  errno = 0;
  int r = SSL_shutdown(core.ssl);
  if (r == 0) {  // ours is sent; now the peer's
    ERR_clear_error();
    errno = 0;
    r = SSL_shutdown(core.ssl);
  }
  return r == 1 ? Step{} : failed(core, r);
}

}  // namespace tls_detail

TlsStream::TlsStream(tcp::socket socket, boost::asio::ssl::context& ctx)
    : core_(std::make_shared<tls_detail::Core>(std::move(socket))) {
  boost::system::error_code ec;
  core_->socket.non_blocking(true, ec);
  core_->ssl = SSL_new(ctx.native_handle());
  if (!core_->ssl)
    return;  // the handshake fails below, as a refused connection
  // Partial writes and a moving buffer: Beast retries with what is left, from its own buffers.
  SSL_set_mode(core_->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  // Read whole socket buffers, not a record header then its body (two recv calls per record).
  SSL_set_read_ahead(core_->ssl, 1);
  SSL_set_fd(core_->ssl, core_->socket.native_handle());
  SSL_set_accept_state(core_->ssl);
}

TlsStream::~TlsStream() = default;

SSL* TlsStream::native_handle() noexcept {
  return core_->ssl;
}

void TlsStream::expires_after(std::chrono::steady_clock::duration d) {
  auto& c = *core_;
  c.timed_out = false;
  const uint64_t deadline = ++c.deadline;
  c.timer.expires_after(d);
  c.timer.async_wait([weak = std::weak_ptr(core_), deadline](boost::system::error_code ec) {
    auto core = weak.lock();
    if (ec || !core || core->deadline != deadline)
      return;
    core->timed_out = true;
    boost::system::error_code ignored;
    core->socket.cancel(ignored);
  });
}

void TlsStream::expires_never() {
  ++core_->deadline;
  core_->timed_out = false;
  core_->timer.cancel();
}

void TlsStream::cancel() {
  boost::system::error_code ignored;
  core_->socket.cancel(ignored);
}

void teardown(boost::beast::role_type role, TlsStream& stream, boost::system::error_code& ec) {
  // Best effort without blocking: our close_notify, then the TCP teardown.
  if (SSL* ssl = stream.native_handle()) {
    ERR_clear_error();
    SSL_shutdown(ssl);
  }
  boost::beast::websocket::teardown(role, stream.socket(), ec);
}

}  // namespace ris::net
