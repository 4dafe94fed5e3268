// Several in-process listeners for one hook (a run finished, an agent connected). Adding one
// never replaces another: every module that wants the event gets it, in the order they were
// added. Thread-safe; notifying takes a snapshot, so a listener may be added meanwhile.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace ris::fleet {

template <typename... Args>
class Listeners {
 public:
  using Fn = std::function<void(Args...)>;

  void add(Fn fn) {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<std::vector<Fn>>(*fns_);
    next->push_back(std::move(fn));
    fns_ = std::move(next);
  }

  void notify(Args... args) const {
    std::shared_ptr<const std::vector<Fn>> fns;
    {
      std::lock_guard lock(mu_);
      fns = fns_;
    }
    for (const auto& fn : *fns)
      fn(args...);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<Fn>> fns_ = std::make_shared<std::vector<Fn>>();
};

}  // namespace ris::fleet
