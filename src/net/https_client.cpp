// HTTPS requests for agents and tools: HttpsClient keeps one connection alive across requests
// (reconnecting when the server closed it); https_request is the one-shot form. Each runs its own
// io_context on the calling thread with a deadline per request: not for servers' hot paths.
#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "client_tls.hpp"

namespace ris::net {

namespace beast = boost::beast;
namespace http = beast::http;

struct HttpsClient::Impl {
  Url url;
  ClientTls tls;
  boost::asio::io_context io;
  std::shared_ptr<const PreparedTls> prepared;  // made at the first connect, kept for the next
  std::optional<ClientStream> stream;
  std::string server_ca_pem;
  beast::flat_buffer buffer;
  bool sent = false;  // the last request went out whole (at least once)

  Result<void> connect(std::chrono::milliseconds timeout) {
    if (!prepared) {
      RIS_TRY(prepared, prepare_tls(tls));
    }
    stream.emplace(io, prepared->context());
    buffer.clear();
    SSL_set_tlsext_host_name(stream->native_handle(), url.host.c_str());
    boost::system::error_code ec;
    boost::asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec)
      return fail(Errc::unavailable, "cannot resolve " + url.host + ": " + ec.message());
    // Connect and handshake as async operations: the stream's deadline bounds only those, and a
    // server whose kernel took the connection but which never answers (busy: its handshake
    // slots full, or hung) must fail the caller at the deadline, not hang it.
    beast::get_lowest_layer(*stream).expires_after(timeout);
    bool connected = false;
    beast::get_lowest_layer(*stream).async_connect(
        endpoints, [&](boost::system::error_code e, const boost::asio::ip::tcp::endpoint&) {
          ec = e;
          if (e)
            return;
          connected = true;
          boost::system::error_code ignored;
          beast::get_lowest_layer(*stream).socket().set_option(boost::asio::ip::tcp::no_delay(true),
                                                               ignored);
          stream->async_handshake(boost::asio::ssl::stream_base::client,
                                  [&](boost::system::error_code e2) { ec = e2; });
        });
    io.restart();
    io.run();  // ends by the deadline: the stream then closes and fails what is pending
    if (ec && !connected)
      return fail(Errc::unavailable, "cannot connect to " + url.host + ":" +
                                         std::to_string(url.port) + ": " + ec.message());
    if (ec)
      return fail(Errc::unavailable, "TLS handshake with " + url.host + " failed: " + ec.message());
    RIS_TRY(server_ca_pem, verify_server(stream->native_handle(), tls, url.host));
    return {};
  }

  bool peer_closed() {
    pollfd p{beast::get_lowest_layer(*stream).socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;  // nothing may arrive unasked on an idle HTTP/1.1 connection
  }

  // One exchange on the open connection; `sent` tells whether the request went out whole.
  Result<ClientReply> exchange(const http::request<http::string_body>& req,
                               std::chrono::milliseconds timeout, bool& sent) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    boost::system::error_code io_ec;
    sent = false;
    beast::get_lowest_layer(*stream).expires_after(timeout);
    // Sync I/O with a deadline: async operations driven by run_for.
    http::async_write(*stream, req, [&](boost::system::error_code e, size_t) {
      if (e) {
        io_ec = e;
        return;
      }
      sent = true;
      http::async_read(*stream, buffer, parser,
                       [&](boost::system::error_code e2, size_t) { io_ec = e2; });
    });
    io.restart();
    if (io.run_for(timeout) == 0 && !parser.is_done() && !io_ec)
      io_ec = beast::error::timeout;
    if (!parser.is_done()) {
      stream.reset();
      return fail(Errc::unavailable, "request to " + url.host + " failed: " +
                                         (io_ec ? io_ec.message() : std::string("timed out")));
    }
    ClientReply out;
    out.status = static_cast<int>(parser.get().result_int());
    out.content_type = std::string(parser.get()[http::field::content_type]);
    out.body = std::move(parser.get().body());
    out.server_ca_pem = server_ca_pem;
    if (!parser.get().keep_alive())
      stream.reset();
    return out;
  }
};

HttpsClient::HttpsClient(Url url, ClientTls tls) : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->tls = std::move(tls);
}
HttpsClient::~HttpsClient() = default;

Result<ClientReply> HttpsClient::request(std::string_view method, std::string_view target,
                                         std::string body, const Headers& headers,
                                         std::chrono::milliseconds timeout) {
  http::request<http::string_body> req{http::string_to_verb(method), std::string(target), 11};
  req.set(http::field::host, impl_->url.host);
  req.set(http::field::user_agent, "ris-client");
  if (!body.empty())
    req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers)
    req.set(k, v);
  req.body() = std::move(body);
  req.prepare_payload();
  // A kept connection the server has closed meanwhile (idle timeout) is readable — its FIN or
  // close_notify is waiting — while a live idle one is not: then start afresh. If it still fails,
  // a request that did not go out, or a GET/HEAD, is tried once more on a fresh connection; other
  // requests are never sent twice (they may not be idempotent).
  if (impl_->stream && impl_->peer_closed())
    impl_->stream.reset();
  impl_->sent = false;
  const bool reused = impl_->stream.has_value();
  if (!reused)
    RIS_TRY_VOID(impl_->connect(timeout));
  bool sent = false;
  auto reply = impl_->exchange(req, timeout, sent);
  impl_->sent = sent;
  const bool idempotent = method == "GET" || method == "HEAD";
  if (!reply && reused && (!sent || idempotent)) {
    RIS_TRY_VOID(impl_->connect(timeout));
    reply = impl_->exchange(req, timeout, sent);
    impl_->sent = impl_->sent || sent;
  }
  return reply;
}

bool HttpsClient::request_sent() const {
  return impl_->sent;
}

Result<ClientReply> https_request(const Url& url, const ClientTls& tls, std::string_view method,
                                  std::string_view target, std::string body,
                                  std::chrono::milliseconds timeout) {
  HttpsClient client(url, tls);
  return client.request(method, target, std::move(body), {}, timeout);
}

}  // namespace ris::net
