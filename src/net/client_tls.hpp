// Private to src/net: the TLS context and verification shared by the HTTPS and WebSocket clients.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "ris/net/client.hpp"

namespace ris::net {

using ClientStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

// What prepare_tls() makes: a TLS 1.3 client context with the client certificate (if any),
// shared by every connection made with it (an OpenSSL context may serve many SSL objects), and
// the settings verify_server() checks against after the handshake (so pinning and a PEM anchor
// share one path).
class PreparedTls {
 public:
  PreparedTls(boost::asio::ssl::context ctx, ClientTls tls)
      : ctx_(std::move(ctx)), tls_(std::move(tls)) {}
  boost::asio::ssl::context& context() const { return ctx_; }
  const ClientTls& settings() const { return tls_; }

 private:
  mutable boost::asio::ssl::context ctx_;  // SSL_new() takes it non-const; never reconfigured
  ClientTls tls_;
};

// Checks the server's chain against the anchor (PEM or pinned hash) and `host`; returns the
// anchor's PEM.
Result<std::string> verify_server(SSL* ssl, const ClientTls& tls, const std::string& host);

}  // namespace ris::net
