// One HTTPS request on a fresh connection, with a deadline for the whole exchange. Runs its own
// io_context on the calling thread: for enrolment and tools, not for hot paths.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "client_tls.hpp"

namespace ris::net {

namespace beast = boost::beast;
namespace http = beast::http;

Result<ClientReply> https_request(const Url& url, const ClientTls& tls, std::string_view method,
                                  std::string_view target, std::string body,
                                  std::chrono::milliseconds timeout) {
  RIS_TRY(auto ctx, make_client_context(tls));
  boost::asio::io_context io;
  ClientStream stream(io, ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  boost::system::error_code ec;
  boost::asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec)
    return fail(Errc::unavailable, "cannot resolve " + url.host + ": " + ec.message());
  beast::get_lowest_layer(stream).expires_after(timeout);
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (ec)
    return fail(Errc::unavailable, "cannot connect to " + url.host + ":" +
                                       std::to_string(url.port) + ": " + ec.message());
  stream.handshake(boost::asio::ssl::stream_base::client, ec);
  if (ec)
    return fail(Errc::unavailable, "TLS handshake with " + url.host + " failed: " + ec.message());
  RIS_TRY(std::string ca, verify_server(stream.native_handle(), tls, url.host));

  http::request<http::string_body> req{http::string_to_verb(method), std::string(target), 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "ris-client");
  if (!body.empty())
    req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  // Sync I/O with a deadline: async operations driven by run_for.
  ClientReply out;
  out.server_ca_pem = std::move(ca);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  boost::system::error_code io_ec;
  http::async_write(stream, req, [&](boost::system::error_code e, size_t) {
    if (e) {
      io_ec = e;
      return;
    }
    http::async_read(stream, buffer, parser,
                     [&](boost::system::error_code e2, size_t) { io_ec = e2; });
  });
  io.restart();
  if (io.run_for(timeout) == 0 && !parser.is_done() && !io_ec)
    io_ec = beast::error::timeout;
  if (!parser.is_done())
    return fail(Errc::unavailable, "request to " + url.host + " failed: " +
                                       (io_ec ? io_ec.message() : std::string("timed out")));
  out.status = static_cast<int>(parser.get().result_int());
  out.content_type = std::string(parser.get()[boost::beast::http::field::content_type]);
  out.body = std::move(parser.get().body());
  stream.shutdown(ec);  // best effort
  return out;
}

}  // namespace ris::net
