// The in-process bus: a subscriber list behind a shared_mutex (publish takes a reader lock),
// copied by nobody. Good for one risd; a cluster uses NATS (nats_bus.cpp). open_bus() picks one.
#include <fmt/format.h>

#include <map>
#include <mutex>
#include <shared_mutex>

#include "nats_bus.hpp"
#include "ris/bus/bus.hpp"

namespace ris::bus {
namespace {

bool matches(std::string_view pattern, std::string_view subject) {
  if (pattern.ends_with(".>")) {
    auto prefix = pattern.substr(0, pattern.size() - 1);  // keep the dot
    return subject.starts_with(prefix) && subject.size() > prefix.size();
  }
  return pattern == subject;
}

class InProcessBus final : public Bus, public std::enable_shared_from_this<InProcessBus> {
 public:
  struct Entry {
    std::string pattern;
    Callback callback;
  };
  struct Registry {
    std::shared_mutex mu;
    std::map<uint64_t, Entry> entries;
    uint64_t next = 1;
  };

  class Sub final : public Subscription {
   public:
    Sub(std::weak_ptr<Registry> r, uint64_t id) : registry_(std::move(r)), id_(id) {}
    ~Sub() override {
      if (auto r = registry_.lock()) {
        std::unique_lock lock(r->mu);
        r->entries.erase(id_);
      }
    }

   private:
    std::weak_ptr<Registry> registry_;
    uint64_t id_;
  };

  void publish(std::string_view subject, Message message) override {
    std::shared_lock lock(registry_->mu);
    for (auto& [id, e] : registry_->entries)
      if (matches(e.pattern, subject))
        e.callback(subject, message);
  }

  std::unique_ptr<Subscription> subscribe(std::string pattern, Callback callback) override {
    std::unique_lock lock(registry_->mu);
    const uint64_t id = registry_->next++;
    registry_->entries.emplace(id, Entry{std::move(pattern), std::move(callback)});
    return std::make_unique<Sub>(registry_, id);
  }

  bool has_subscribers() const override {
    std::shared_lock lock(registry_->mu);
    return !registry_->entries.empty();
  }

  std::string_view backend() const override { return "in-process"; }
  bool connected() const override { return true; }

 private:
  std::shared_ptr<Registry> registry_ = std::make_shared<Registry>();
};

}  // namespace

Result<std::unique_ptr<Bus>> open_bus(std::string_view url) {
  if (url.empty() || url == "inproc:")
    return std::unique_ptr<Bus>(std::make_unique<InProcessBus>());
  if (url.starts_with("nats://") || url.starts_with("tls://"))
    return detail::open_nats_bus(url);
  // Not repeated whole: a URL may carry a password.
  return fail(
      Errc::invalid_argument,
      fmt::format("bus URL: unsupported scheme '{}' (use nats://HOST:PORT, tls://HOST:PORT, "
                  "or nothing for the in-process bus)",
                  url.substr(0, std::min(url.find(':'), size_t{16}))));
}

}  // namespace ris::bus
