// /events/v1: the WebSocket people's tools (dashboard, risctl --watch) keep open.
#include "events_protocol.hpp"
#include "handlers.hpp"

namespace ris::api {
namespace {

class EventsHandler final : public net::WsHandler {
 public:
  explicit EventsHandler(net::WsConnection& conn) : conn_(conn) {
    conn_.send(std::make_shared<const std::string>(hello_frame(kVersion)));
  }

  void on_message(std::string_view text) override {
    auto m = parse_client_message(text);
    if (!m) {
      conn_.send(
          std::make_shared<const std::string>(error_frame("bad_message", m.error().message, "")));
      return;
    }
    if (m->type == "ping") {
      conn_.send(std::make_shared<const std::string>(pong_frame(m->id)));
      return;
    }
    conn_.send(std::make_shared<const std::string>(
        error_frame("unknown_type", "unknown message type '" + m->type + "'", m->id)));
  }

 private:
  net::WsConnection& conn_;
};

}  // namespace

std::unique_ptr<net::WsHandler> make_events_handler(ApiContext&, net::WsConnection& conn,
                                                    const net::Request&) {
  return std::make_unique<EventsHandler>(conn);
}

}  // namespace ris::api
