// The route table: method + path pattern ("/api/v1/agents/{id}") → handler, and WebSocket
// paths → handler factories. A module declares its whole API in one place with add().
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ris/net/accept_rate.hpp"
#include "ris/net/http.hpp"
#include "ris/net/websocket.hpp"

namespace ris::net {

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // A route whose body may be as large as the server's max-upload-bytes (archives).
  void add_upload(std::string method, std::string pattern, Handler handler);
  // Whether `method` on `path` is an upload route (decided before the body is read).
  bool is_upload(std::string_view method, std::string_view path) const;
  // `rate` (optional) caps how fast upgrades on `path` are taken; beyond it the client gets
  // 503 busy with Retry-After and comes back later.
  void add_websocket(std::string path, WsHandlerFactory factory,
                     std::shared_ptr<AcceptRate> rate = nullptr);
  struct WsRoute {
    std::string path;
    WsHandlerFactory factory;
    std::shared_ptr<AcceptRate> rate;
  };

  struct Match {
    const Handler* handler = nullptr;  // null: see status
    std::string route;                 // the pattern, for metrics labels ("unmatched" if none)
    int status = 200;                  // 404 or 405 when handler is null
    std::string allow;                 // for 405: the methods the path does accept
  };
  // Fills request.params on a match.
  Match match(Request& request) const;
  const WsRoute* websocket(std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    bool upload = false;
  };
  std::vector<Route> routes_;
  std::vector<WsRoute> websockets_;
};

}  // namespace ris::net
