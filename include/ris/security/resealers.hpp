// Every place that stores sealed secrets registers a resealer, so `risd admin
// rotate-master-key` can move all of them to the new master key before it forgets the old one.
// A secret that no resealer covers is lost when the old key is dropped: a module that starts
// storing sealed values must register one (in apps/risd/secrets.cpp, register_resealers).
//
// A resealer is called with a SecretBox whose current key is the new one and which still opens
// values under the older keys. For each value it owns that is not `box.is_current(value)`, it
// writes `box.reseal(value, context)` back, and returns how many it rewrote. It must be safe to
// run again after a crash half-way (values already current are skipped) and must write each
// value atomically (one transaction per row or batch, write_file_atomic for files).
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::store {
class Store;
}

namespace ris::security {

class SecretBox;

using ResealFn = std::function<Result<int>(store::Store&, const SecretBox&)>;

struct Resealer {
  std::string name;  // what it covers, for the operator: "accounts.totp_secret"
  ResealFn reseal;
};

// The list the rotation walks, in registration order.
class Resealers {
 public:
  void add(std::string name, ResealFn reseal) {
    list_.push_back({std::move(name), std::move(reseal)});
  }
  const std::vector<Resealer>& all() const { return list_; }

 private:
  std::vector<Resealer> list_;
};

}  // namespace ris::security
