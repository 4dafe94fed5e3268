// The SQL of duties (migration 0010): one row per duty that must run on one server at a time,
// naming its holder, the holder's fencing epoch and its lease. Portable SQL only: it runs
// unchanged on SQLite and PostgreSQL. See ris/cluster/duty.hpp for what the rows mean.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::cluster {

struct DutyRecord {
  std::string name, holder;
  int64_t epoch = 0;
  std::string lease_until, acquired_at;  // RFC 3339 UTC
};

// A thin view over a Store: construct one where it is needed, over a transaction's Store inside
// a transaction.
class DutyRepository {
 public:
  explicit DutyRepository(store::Store& store) : store_(store) {}

  // In one statement: renews the lease to `lease_until` if `server_id` holds the duty under
  // `held_epoch`; otherwise takes it (epoch + 1, or 1 for a new row) if the lease lapsed by
  // `now` or the row names `server_id` under another epoch (an earlier life of this server).
  // The epoch now held; nullopt when another server's lease runs past `now`.
  Result<std::optional<int64_t>> hold(std::string_view name, std::string_view server_id,
                                      int64_t held_epoch, const std::string& now,
                                      const std::string& lease_until);
  // True when the row names `server_id` and `epoch` with a lease running past `now`. Takes the
  // row's write lock (a write that changes nothing), so that inside a transaction a concurrent
  // take-over waits for it or makes it fail.
  Result<bool> still_held(std::string_view name, std::string_view server_id, int64_t epoch,
                          const std::string& now);
  // Ends the lease of `server_id`'s tenure `epoch` (sets it to `lapsed`, a time in the past);
  // the row and its epoch stay, so the next holder's epoch is higher still.
  Result<bool> release(std::string_view name, std::string_view server_id, int64_t epoch,
                       const std::string& lapsed);
  Result<std::optional<DutyRecord>> find(std::string_view name);
  // Every duty whose lease runs past `now`, by name.
  Result<std::vector<DutyRecord>> held(const std::string& now);

 private:
  store::Store& store_;
};

}  // namespace ris::cluster
