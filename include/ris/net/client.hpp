// Outbound connections for agents and tools: a one-shot HTTPS request and a long-lived
// WebSocket, over TLS 1.3 with either a CA given as PEM or — before enrolment, when the agent has
// no CA yet — a CA pinned by the SHA-256 of its certificate (no trust on first use). A client
// certificate makes it mutual TLS. Callers never see Beast or Asio.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::net {

struct ClientTls {
  std::string ca_pem;     // trust anchor, or
  std::string ca_sha256;  // "sha256:<hex>": trust the CA in the server's chain with this hash
  std::string cert_pem;   // optional client certificate …
  std::string key_pem;    // … and its key
  // With neither ca_pem nor ca_sha256: trust the system's store (a server with a public CA).
  bool system_roots = false;
};

struct Url {
  std::string host;
  uint16_t port = 443;
  std::string target = "/";  // path and query
  // A local address to connect from (empty: the system's choice). Load tools spread their
  // connections over 127.0.0.0/8 with it, beyond one address's ephemeral ports.
  std::string source_address;
};
// "https://host[:port][/path]" (also wss://); IPv6 literals in brackets.
Result<Url> parse_https_url(std::string_view url);

struct ClientReply {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string server_ca_pem;  // the CA that verified the server (the pinned one when pinning)
};

// One request on a fresh connection (enrolment, image archives).
Result<ClientReply> https_request(const Url& url, const ClientTls& tls, std::string_view method,
                                  std::string_view target, std::string body,
                                  std::chrono::milliseconds timeout);

// A keep-alive HTTPS connection for tools (risbench, risctl): requests one after another on
// one connection, reconnecting when the server has closed it. Not thread-safe.
class HttpsClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  HttpsClient(Url url, ClientTls tls);
  ~HttpsClient();
  Result<ClientReply> request(std::string_view method, std::string_view target,
                              std::string body = {}, const Headers& headers = {},
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Whether the last request went out whole. When it failed without going out (the server
  // could not be reached), the server cannot have acted on it: another may be tried.
  bool request_sent() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An event loop for client connections: one thread calls run(); every callback runs there.
class ClientLoop {
 public:
  ClientLoop();
  ~ClientLoop();
  void run();                           // until stop()
  void stop();                          // thread-safe
  void post(std::function<void()> fn);  // thread-safe
  // Runs `fn` after `delay` unless the returned cancel function is called first (loop thread).
  std::function<void()> after(std::chrono::milliseconds delay, std::function<void()> fn);
  void* native();  // the boost::asio::io_context, for src/net only

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A ClientTls made into an OpenSSL context once (certificate and key parsed), for a program that
// opens many connections with one identity: building a context per connection costs more than
// the handshake itself in OpenSSL 3 (risbench's simulated agents reconnecting by the thousand).
class PreparedTls;
Result<std::shared_ptr<const PreparedTls>> prepare_tls(const ClientTls& tls);

// A WebSocket client (text frames). Callbacks run on the loop's thread; send/close may be
// called from any thread. Writes are queued up to `max_queue_bytes`, past which the connection
// is closed rather than growing memory.
class WsClient {
 public:
  struct Callbacks {
    std::function<void()> on_open;
    std::function<void(std::string_view)> on_message;
    std::function<void(std::string reason)> on_close;  // once, also when connecting fails
  };
  static std::shared_ptr<WsClient> connect(ClientLoop& loop, const Url& url, const ClientTls& tls,
                                           Callbacks callbacks, std::chrono::milliseconds timeout,
                                           size_t max_message_bytes = 1 << 20,
                                           size_t max_queue_bytes = 8 << 20);
  static std::shared_ptr<WsClient> connect(ClientLoop& loop, const Url& url,
                                           std::shared_ptr<const PreparedTls> tls,
                                           Callbacks callbacks, std::chrono::milliseconds timeout,
                                           size_t max_message_bytes = 1 << 20,
                                           size_t max_queue_bytes = 8 << 20);
  virtual ~WsClient() = default;
  virtual void send(std::string text) = 0;
  virtual void close() = 0;
};

}  // namespace ris::net
