#include "events.hpp"

#include "api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace ris::cli {
namespace json = boost::json;

// Callbacks hold a plain pointer: they run on the loop's thread, which ~Events joins before the
// Impl goes (shared ownership would make a cycle through the pending handlers).
struct Events::Impl {
  net::Url url;
  net::ClientTls tls;
  std::string token;
  net::ClientLoop loop;
  std::thread thread;

  // Loop thread only.
  std::shared_ptr<net::WsClient> ws;
  std::chrono::milliseconds backoff{250};
  bool ever_connected = false;
  bool authenticated = false;  // subscriptions go out only after the server has said so

  std::mutex mu;
  std::condition_variable cv;
  std::deque<json::object> queue;
  std::vector<json::object> subscriptions;  // guarded by mu; sent on every (re)connect

  void connect() {
    Impl* self = this;
    net::WsClient::Callbacks cb;
    cb.on_open = [self] {
      self->backoff = std::chrono::milliseconds(250);
      self->ws->send(json::serialize(json::object{{"type", "auth"}, {"token", self->token}}));
    };
    cb.on_message = [self](std::string_view text) {
      boost::system::error_code ec;
      auto v = json::parse(text, ec);
      if (ec || !v.is_object())
        return;
      auto& o = v.as_object();
      if (o["type"] == "authenticated") {
        // The server checks frames on a pool: subscribing before this answer could race it.
        self->authenticated = true;
        std::vector<json::object> subs;
        {
          std::lock_guard lock(self->mu);
          subs = self->subscriptions;
        }
        for (const auto& s : subs)
          self->ws->send(json::serialize(s));
        if (self->ever_connected)
          self->push(json::object{{"type", "reconnected"}});
        self->ever_connected = true;
        return;
      }
      self->push(std::move(o));
    };
    cb.on_close = [self](std::string) {
      self->ws.reset();
      self->authenticated = false;
      self->loop.after(self->backoff, [self] { self->connect(); });
      self->backoff = std::min(self->backoff * 2, std::chrono::milliseconds(5000));
    };
    ws = net::WsClient::connect(loop, url, tls, std::move(cb), std::chrono::seconds(10));
  }

  void push(json::object o) {
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(o));
    }
    cv.notify_one();
  }
};

Events::Events(net::Url url, net::ClientTls tls, std::string token)
    : impl_(std::make_unique<Impl>()) {
  url.target = "/events/v1";
  impl_->url = std::move(url);
  impl_->tls = std::move(tls);
  impl_->token = std::move(token);
  impl_->loop.post([impl = impl_.get()] { impl->connect(); });
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop.run(); });
}

Events::~Events() {
  impl_->loop.post([impl = impl_.get()] {
    if (impl->ws)
      impl->ws->close();
  });
  impl_->loop.stop();
  impl_->thread.join();
}

void Events::subscribe(json::object subscription) {
  subscription["type"] = "subscribe";
  {
    std::lock_guard lock(impl_->mu);
    subscription["id"] = "s" + std::to_string(impl_->subscriptions.size() + 1);
    impl_->subscriptions.push_back(subscription);
  }
  impl_->loop.post([impl = impl_.get(), text = json::serialize(subscription)] {
    if (impl->ws && impl->authenticated)
      impl->ws->send(text);
  });
}

void Events::reauthenticate(std::string token) {
  impl_->loop.post([impl = impl_.get(), token = std::move(token)] {
    impl->token = token;
    impl->authenticated = false;
    if (impl->ws)
      impl->ws->send(json::serialize(json::object{{"type", "auth"}, {"token", token}}));
  });
}

std::optional<json::object> Events::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return !impl_->queue.empty(); }))
    return std::nullopt;
  auto o = std::move(impl_->queue.front());
  impl_->queue.pop_front();
  return o;
}

bool renew_token_if_refused(Events& events, Api& api, const json::object& frame) {
  const auto* type = frame.if_contains("type");
  const auto* code = frame.if_contains("code");
  if (!type || *type != "error" || !code || *code != "unauthenticated")
    return false;
  if (auto token = api.access_token())
    events.reauthenticate(std::move(*token));
  return true;
}

}  // namespace ris::cli
