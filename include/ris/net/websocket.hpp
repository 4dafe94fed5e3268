// WebSocket endpoints as the rest of RIS sees them: text messages in, text messages out.
// A WsHandler lives on its connection's thread; WsConnection::send and close may be called from
// any thread. Outgoing frames are shared buffers, so a broadcast builds a frame once.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ris/net/http.hpp"

namespace ris::net {

class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Queues a text frame. Past the connection's send-queue limit the connection is cut off
  // (a slow reader must not grow memory); returns false then, or when already closing.
  virtual bool send(std::shared_ptr<const std::string> text) = 0;
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual const std::string& remote_address() const = 0;
  // A handle that does not keep the connection alive, for work that completes later.
  virtual std::weak_ptr<WsConnection> weak() = 0;
};

class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_message(std::string_view text) = 0;
  virtual void on_close() {}
};

// Called once the upgrade request is accepted; `conn` outlives the handler it returns.
using WsHandlerFactory =
    std::function<std::unique_ptr<WsHandler>(WsConnection& conn, const Request& upgrade)>;

}  // namespace ris::net
