// risd's TLS stream: the OpenSSL calls and the deadline (see tls_stream.hpp for why).
#include "tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstdint>

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

// OpenSSL's own socket BIO writes with write(2): a peer that has gone away would raise SIGPIPE
// in any process that has not ignored it. This one sends with MSG_NOSIGNAL, as Asio does.
int fd_of(BIO* b) {
  return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b)));
}

bool would_block(int e) {
  return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

int socket_write(BIO* b, const char* data, int size) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::send(fd_of(b), data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && would_block(errno))
    BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int socket_read(BIO* b, char* data, int size) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::recv(fd_of(b), data, static_cast<size_t>(size), 0);
  if (n < 0 && would_block(errno))
    BIO_set_retry_read(b);
  return static_cast<int>(n);
}

long socket_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int socket_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "ris socket");
    if (m) {
      BIO_meth_set_write(m, socket_write);
      BIO_meth_set_read(m, socket_read);
      BIO_meth_set_ctrl(m, socket_ctrl);
      BIO_meth_set_create(m, socket_create);
    }
    return m;
  }();
  return method;
}

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
  BIO* bio = tls_detail::socket_method() ? BIO_new(tls_detail::socket_method()) : nullptr;
  if (!bio) {
    SSL_free(core_->ssl);
    core_->ssl = nullptr;
    return;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(core_->socket.native_handle())));
  SSL_set_bio(core_->ssl, bio, bio);  // the SSL owns it
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
