// A live feed from risd's /events/v1 for risctl (exec, --watch, rollouts): one WebSocket on a
// background thread that authenticates, keeps its subscriptions, and reconnects with back-off.
// After a reconnect it delivers {"type":"reconnected"} so the reader refetches what it may have
// missed (the subscriptions are renewed first, so nothing falls in between).
#pragma once
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "ris/net/client.hpp"

namespace ris::cli {

class Events {
 public:
  Events(net::Url url, net::ClientTls tls, std::string token);
  ~Events();
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;

  // {"topic":…, "space":…, ["task":…]}; the id is chosen here.
  void subscribe(boost::json::object subscription);
  // A new access token (the old one expired): authenticates again and renews the
  // subscriptions. Readers call it when a frame says {"type":"error","code":"unauthenticated"}.
  void reauthenticate(std::string token);
  // The next frame within `timeout` (nullopt when none came).
  std::optional<boost::json::object> next(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Api;
// When `frame` says the token was refused (it expired while reconnecting): a fresh token from
// `api` goes to `events`. True when the frame was that.
bool renew_token_if_refused(Events& events, Api& api, const boost::json::object& frame);

}  // namespace ris::cli
