// The TLS front door of risd: one port serving HTTP/1.1 and WebSocket upgrades.
//
// Threading (DESIGN.md): one io_context per I/O thread, a connection stays on the thread that
// accepted it for life, other threads reach it only by posting. Every connection has timeouts
// (handshake, header, body, keep-alive, WebSocket idle with pings), size limits (431, 413, 1009)
// and a bounded send queue, so a slow or hostile client costs bounded memory and never blocks
// anyone else.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "ris/core/config.hpp"
#include "ris/core/result.hpp"
#include "ris/net/router.hpp"

namespace ris::metrics {
class Registry;
}

namespace ris::net {

struct TlsPem {
  std::string cert_chain;
  std::string private_key;
  // When set, clients may present a certificate issued by this CA (agents' mutual TLS); a
  // verified one's subject CN reaches handlers as Request::peer_identity. Browsers send none.
  std::string client_ca;
};

class Server {
 public:
  Server(const ServerConfig& config, TlsPem tls, const Router& router, metrics::Registry& metrics);
  // Handlers on other threads (worker pools) may still hold sessions: stop those pools before
  // the Server is destroyed.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Errors name the address.
  Result<void> start();
  uint16_t port() const;  // the bound port (useful with port 0)
  // Stops accepting, lets in-flight requests finish, closes WebSockets with 1001 (going away),
  // waits up to `grace` for connections to end, then stops the threads. Blocks; idempotent.
  void shutdown(std::chrono::milliseconds grace);
  int64_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ris::net
