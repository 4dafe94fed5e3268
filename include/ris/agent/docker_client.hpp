// A client of the Docker Engine API (v1.41) over its Unix socket: HTTP/1.1 with Beast, one
// connection per call, never the docker CLI. Calls are blocking (runner and reconciler threads)
// and bounded by a deadline; a streamed answer (logs, events) is handed over piece by piece.
#pragma once
#include <atomic>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"

namespace ris::agent {

struct DockerReply {
  int status = 0;
  std::string body;
};

class DockerClient {
 public:
  static constexpr std::string_view kApiVersion = "v1.41";
  explicit DockerClient(std::string socket_path) : socket_(std::move(socket_path)) {}
  const std::string& socket_path() const { return socket_; }

  // `path` is relative to the API version ("/containers/json?all=1"). Errors: the daemon is
  // unreachable (Errc::unavailable, naming the socket) or the answer is not HTTP.
  Result<DockerReply> call(std::string_view method, std::string_view path, std::string body = {},
                           std::string_view content_type = "application/json",
                           std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // call() for JSON answers: a status >= 400 becomes an error carrying the daemon's message
  // (404 → Errc::not_found, 409 → Errc::conflict).
  Result<boost::json::value> json(
      std::string_view method, std::string_view path, std::string body = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Streams the answer's body to `on_data` until the daemon ends it, `on_data` returns false,
  // `cancelled` turns true or the timeout passes. Returns the HTTP status.
  Result<int> stream(std::string_view method, std::string_view path,
                     const std::function<bool(std::string_view)>& on_data,
                     const std::atomic<bool>& cancelled, std::chrono::milliseconds timeout) const;

 private:
  std::string socket_;
};

}  // namespace ris::agent
