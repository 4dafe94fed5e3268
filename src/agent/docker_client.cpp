#include "ris/agent/docker_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <cstring>
#include <optional>

namespace ris::agent {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Local = asio::local::stream_protocol;
using Stream = beast::basic_stream<Local>;
using Clock = std::chrono::steady_clock;

Error unreachable(const std::string& socket, const std::string& why) {
  return {Errc::unavailable, "Docker is not reachable at " + socket + ": " + why};
}

// Connects, writes the request and reads the header; the caller reads the body. The io_context
// is driven in slices so that `cancelled` is noticed within 100 ms.
struct Exchange {
  asio::io_context io;
  Stream stream{io};
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  Clock::time_point deadline;

  // Runs until `done` or the deadline or cancellation; false if it did not finish.
  bool drive(const bool& done, const std::atomic<bool>* cancelled) {
    while (!done) {
      if (Clock::now() >= deadline || (cancelled && *cancelled)) {
        boost::system::error_code ignored;
        stream.socket().close(ignored);
        io.restart();
        io.run_for(std::chrono::milliseconds(200));  // let the aborted handlers finish
        return false;
      }
      io.restart();
      io.run_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  Result<void> begin(const std::string& socket, std::string_view method, std::string_view path,
                     std::string body, std::string_view content_type,
                     const std::atomic<bool>* cancelled) {
    parser.body_limit(boost::none);
    boost::system::error_code ec;
    bool done = false;
    stream.async_connect(Local::endpoint(socket), [&](boost::system::error_code e) {
      ec = e;
      done = true;
    });
    if (!drive(done, cancelled))
      return fail(unreachable(socket, "timed out connecting"));
    if (ec)
      return fail(unreachable(socket, ec.message()));
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(std::string("/") + std::string(DockerClient::kApiVersion) + std::string(path));
    req.version(11);
    req.set(http::field::host, "docker");
    req.set(http::field::user_agent, "ris-agent");
    if (!body.empty())
      req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    done = false;
    http::async_write(stream, req, [&](boost::system::error_code e, size_t) {
      if (e) {
        ec = e;
        done = true;
        return;
      }
      http::async_read_header(stream, buffer, parser, [&](boost::system::error_code e2, size_t) {
        ec = e2;
        done = true;
      });
    });
    if (!drive(done, cancelled))
      return fail(Errc::unavailable, "Docker did not answer " + std::string(method) + " " +
                                         std::string(path) + " in time");
    if (ec)
      return fail(Errc::unavailable, "Docker call " + std::string(method) + " " +
                                         std::string(path) + " failed: " + ec.message());
    return {};
  }

  // Reads the body in pieces; `sink` returning false stops early. False when cut short.
  Result<bool> read_body(const std::function<bool(std::string_view)>& sink,
                         const std::atomic<bool>* cancelled) {
    char piece[16 * 1024];
    boost::system::error_code ec;
    bool done = parser.is_done(), stopped = false;
    std::function<void()> next = [&] {
      parser.get().body().data = piece;
      parser.get().body().size = sizeof piece;
      http::async_read_some(stream, buffer, parser, [&](boost::system::error_code e, size_t) {
        if (e == http::error::need_buffer)
          e = {};
        const size_t got = sizeof piece - parser.get().body().size;
        if (got > 0 && !sink(std::string_view(piece, got)))
          stopped = true;
        if (e || parser.is_done() || stopped) {
          ec = e;
          done = true;
          return;
        }
        next();
      });
    };
    if (!done)
      next();
    if (!drive(done, cancelled))
      return false;
    if (ec && ec != http::error::end_of_stream)
      return fail(Errc::unavailable, "reading Docker's answer failed: " + ec.message());
    return !stopped;
  }
};
}  // namespace

Result<DockerReply> DockerClient::call(std::string_view method, std::string_view path,
                                       std::string body, std::string_view content_type,
                                       std::chrono::milliseconds timeout) const {
  Exchange x;
  x.deadline = Clock::now() + timeout;
  RIS_TRY_VOID(x.begin(socket_, method, path, std::move(body), content_type, nullptr));
  DockerReply reply;
  reply.status = static_cast<int>(x.parser.get().result_int());
  constexpr size_t kMaxAnswer = 64 << 20;  // a list of every image or container fits
  bool too_big = false;
  RIS_TRY(auto complete, x.read_body(
                             [&](std::string_view piece) {
                               if (reply.body.size() + piece.size() > kMaxAnswer) {
                                 too_big = true;
                                 return false;
                               }
                               reply.body.append(piece);
                               return true;
                             },
                             nullptr));
  if (too_big)
    return fail(Errc::too_large, "Docker's answer to " + std::string(path) + " exceeds 64 MiB");
  if (!complete)
    return fail(Errc::unavailable, "Docker did not finish answering " + std::string(method) + " " +
                                       std::string(path) + " in time");
  return reply;
}

Result<boost::json::value> DockerClient::json(std::string_view method, std::string_view path,
                                              std::string body,
                                              std::chrono::milliseconds timeout) const {
  RIS_TRY(auto reply, call(method, path, std::move(body), "application/json", timeout));
  boost::json::error_code ec;
  auto v = reply.body.empty() ? boost::json::value() : boost::json::parse(reply.body, ec);
  if (reply.status >= 400) {
    std::string message = reply.body;
    if (!ec && v.is_object())
      if (const auto* m = v.as_object().if_contains("message"); m && m->is_string())
        message = std::string(m->as_string());
    const Errc code = reply.status == 404   ? Errc::not_found
                      : reply.status == 409 ? Errc::conflict
                      : reply.status < 500  ? Errc::invalid_argument
                                            : Errc::unavailable;
    return fail(code, "Docker: " + message);
  }
  if (ec)
    return fail(Errc::unavailable, "Docker answered " + std::string(path) + " with invalid JSON");
  return v;
}

Result<int> DockerClient::stream(std::string_view method, std::string_view path,
                                 const std::function<bool(std::string_view)>& on_data,
                                 const std::atomic<bool>& cancelled,
                                 std::chrono::milliseconds timeout) const {
  Exchange x;
  x.deadline = Clock::now() + timeout;
  RIS_TRY_VOID(x.begin(socket_, method, path, {}, {}, &cancelled));
  const int status = static_cast<int>(x.parser.get().result_int());
  if (status >= 400) {
    std::string body;
    RIS_TRY_VOID(x.read_body(
        [&](std::string_view p) {
          body.append(p.substr(0, 4096));
          return body.size() < 4096;
        },
        &cancelled));
    boost::json::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (!ec && v.is_object())
      if (const auto* m = v.as_object().if_contains("message"); m && m->is_string())
        body = std::string(m->as_string());
    return fail(status == 404 ? Errc::not_found : Errc::unavailable, "Docker: " + body);
  }
  RIS_TRY_VOID(x.read_body(on_data, &cancelled));
  return status;
}

}  // namespace ris::agent
