// A duty that must run on one server at a time (sweeping lost runs, later the scheduler's tick),
// held under a lease in the store with a fencing epoch (DESIGN.md, "Several servers").
//
// Every server that could do the duty calls hold() before each round of it: one of them holds
// the duty's row in `duties` and renews its lease; the others see it held and stand by. When the
// holder's lease lapses (it died, or was paused), the next server to call hold() takes the duty
// over with a new epoch: a take-over always gets a new epoch, so an epoch names one holder's
// uninterrupted tenure.
//
// A lease alone is not enough: a server paused between hold() and its writes wakes up believing
// it still holds the duty. So each write transaction of the duty calls fence() inside its body:
// it fails with Errc::conflict, rolling the writes back, unless the duty's row still names this
// server and this epoch with an unexpired lease. fence() takes the row's write lock until the
// commit, so a take-over either committed before the fence ran (the fence fails) or waits until
// the transaction has ended (the new holder sees its writes). On SQLite writers are serialised
// anyway; on PostgreSQL a take-over that commits while the stale transaction runs makes its
// fence collide (Errc::busy), the store runs the body again, and the fence then fails.
//
// Times are parameters (tests control the clock); they are compared as RFC 3339 UTC text like
// the `servers` table's leases. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "ris/core/result.hpp"
#include "ris/core/time.hpp"
#include "ris/store/store.hpp"

namespace ris::cluster {

// Run first inside a duty's write transaction, on that transaction's Store: fails
// (Errc::conflict) when the duty is no longer held, and the transaction rolls back.
using Fence = std::function<Result<void>(store::Store& tx)>;

class Duty {
 public:
  // The duty `name` as seen by server `server_id`; a hold lasts `ttl` past the time given to
  // hold() (use the server's own lease: a server that is dead to the others holds nothing).
  Duty(store::Store& store, std::string name, std::string server_id, std::chrono::milliseconds ttl);
  Duty(const Duty&) = delete;
  Duty& operator=(const Duty&) = delete;

  const std::string& name() const { return name_; }
  const std::string& server_id() const { return server_id_; }

  // Acquires the duty if it is free or its lease lapsed before `now` (with a new epoch), or
  // renews it if this Duty already holds it (same epoch); the epoch held, or nullopt while
  // another server's lease runs. Logs duty_acquired and duty_lost as that changes. While it
  // holds the duty it writes at most every quarter of the ttl (in between it answers from
  // memory): that is safe because every write of the duty goes through fence().
  Result<std::optional<int64_t>> hold(SystemTime now = std::chrono::system_clock::now());

  // Inside the duty's own transaction (`tx` is the body's Store): Errc::conflict ("duty X is no
  // longer held by this server (epoch N)") unless the row still says this server, `epoch`, and a
  // lease running past `now`.
  Result<void> fence(store::Store& tx, int64_t epoch,
                     SystemTime now = std::chrono::system_clock::now());
  // fence() bound to `epoch` and `now`, for repositories that run the duty's transactions.
  Fence fence_for(int64_t epoch, SystemTime now);

  // Gives the duty up if this Duty holds it (clean shutdown): the next hold() of another server
  // takes it over at once, with a new epoch. Idempotent.
  Result<void> release();

  // The epoch this Duty last held (nullopt: it holds nothing as far as it knows).
  std::optional<int64_t> held() const;

 private:
  void lost(int64_t epoch, const char* reason);

  store::Store& store_;
  const std::string name_, server_id_;
  const std::chrono::milliseconds ttl_;

  mutable std::mutex mu_;
  std::optional<int64_t> held_;
  SystemTime renewed_at_{};  // the `now` of the hold() that last wrote
};

// The duties held now (lease running): duty name → holding server id. For the cluster view.
Result<std::map<std::string, std::string>> duty_holders(
    store::Store& store, SystemTime now = std::chrono::system_clock::now());

}  // namespace ris::cluster
