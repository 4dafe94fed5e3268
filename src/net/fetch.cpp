#include "ris/net/fetch.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <functional>
#include <optional>

namespace ris::net {
namespace {
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

struct Target {
  bool tls = false;
  std::string host, port, path;
};

Result<Target> parse_url(std::string_view url) {
  Target t;
  if (url.starts_with("https://")) {
    t.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return fail(Errc::invalid_argument, "URL must start with http:// or https://");
  }
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  t.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return fail(Errc::invalid_argument, "unterminated IPv6 literal in URL");
    t.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      t.port = std::string(authority.substr(close + 2));
  } else {
    const size_t colon = authority.rfind(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      t.port = std::string(authority.substr(colon + 1));
  }
  if (t.host.empty())
    return fail(Errc::invalid_argument, "URL has no host");
  if (t.port.empty())
    t.port = t.tls ? "443" : "80";
  return t;
}

// Runs one exchange on `stream` (plain or TLS) with async operations driven by run_for.
template <typename Stream>
Result<FetchResponse> exchange(boost::asio::io_context& io, Stream& stream, const FetchRequest& r,
                               const Target& t, std::chrono::steady_clock::time_point deadline) {
  http::request<http::string_body> req;
  const auto verb = http::string_to_verb(r.method);
  if (verb == http::verb::unknown)
    return fail(Errc::invalid_argument, "unknown HTTP method \"" + r.method + "\"");
  req.method(verb);
  req.target(t.path);
  req.version(11);
  req.set(http::field::host, t.host);
  req.set(http::field::user_agent, "ris-agent");
  for (const auto& [k, v] : r.headers)
    req.set(k, v);
  req.body() = r.body;
  req.prepare_payload();
  // The body is read in pieces into a fixed buffer and kept up to the cap; past it the read
  // stops, so a huge answer costs no memory.
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  FetchResponse out;
  char piece[16 * 1024];
  boost::system::error_code ec;
  bool finished = false;
  std::function<void()> read_body = [&] {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    http::async_read_some(stream, buffer, parser, [&](boost::system::error_code e, size_t) {
      if (e == http::error::need_buffer)
        e = {};
      const size_t got = sizeof piece - parser.get().body().size;
      const size_t room = r.max_body_bytes - std::min(r.max_body_bytes, out.body.size());
      out.body.append(piece, std::min(got, room));
      if (got > room)
        out.truncated = true;
      if (e || parser.is_done() || out.truncated) {
        ec = e;
        finished = true;
        return;
      }
      read_body();
    });
  };
  http::async_write(stream, req, [&](boost::system::error_code e, size_t) {
    if (e) {
      ec = e;
      finished = true;
      return;
    }
    http::async_read_header(stream, buffer, parser, [&](boost::system::error_code e2, size_t) {
      if (e2) {
        ec = e2;
        finished = true;
        return;
      }
      if (parser.is_done()) {
        finished = true;
        return;
      }
      read_body();
    });
  });
  io.restart();
  io.run_until(deadline);
  if (!finished)
    return fail(Errc::unavailable, "timed out waiting for " + t.host);
  if (ec)
    return fail(Errc::unavailable, "request to " + t.host + " failed: " + ec.message());
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& f : parser.get())
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return out;
}
}  // namespace

Result<FetchResponse> fetch(const FetchRequest& r) {
  RIS_TRY(auto t, parse_url(r.url));
  const auto deadline = std::chrono::steady_clock::now() + r.timeout;
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(t.host, t.port, ec);
  if (ec)
    return fail(Errc::unavailable, "cannot resolve " + t.host + ": " + ec.message());
  beast::tcp_stream tcp_stream(io);
  tcp_stream.expires_at(deadline);
  std::optional<boost::system::error_code> connected;
  tcp_stream.async_connect(
      endpoints, [&](boost::system::error_code e, const tcp::endpoint&) { connected = e; });
  io.run_until(deadline);
  if (!connected || *connected)
    return fail(Errc::unavailable,
                "cannot connect to " + t.host + ":" + t.port + ": " +
                    (connected ? connected->message() : std::string("timed out")));
  if (!t.tls)
    return exchange(io, tcp_stream, r, t, deadline);

  ssl::context ctx(ssl::context::tls_client);
  if (r.verify_tls) {
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.set_verify_callback(ssl::host_name_verification(t.host));
  } else {
    ctx.set_verify_mode(ssl::verify_none);
  }
  ssl::stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str());
  std::optional<boost::system::error_code> shaken;
  stream.async_handshake(ssl::stream_base::client,
                         [&](boost::system::error_code e) { shaken = e; });
  io.restart();
  io.run_until(deadline);
  if (!shaken || *shaken)
    return fail(Errc::unavailable, "TLS handshake with " + t.host + " failed: " +
                                       (shaken ? shaken->message() : std::string("timed out")));
  return exchange(io, stream, r, t, deadline);
}

}  // namespace ris::net
