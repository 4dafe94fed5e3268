// The SQL of the key-value store: kv_spaces (each space's revision), kv_keys, kv_changes.
// Portable SQL only: it runs unchanged on SQLite and PostgreSQL. Writes read and raise the
// space's revision inside their own transaction (serializable on both engines), which is what
// orders them.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ris/cluster/duty.hpp"
#include "ris/kv/kv.hpp"
#include "ris/store/store.hpp"

namespace ris::kv {

inline constexpr int64_t kKeptChanges = 10'000;  // per space; older ones are trimmed

class KvRepository {
 public:
  explicit KvRepository(store::Store& store) : store_(store) {}

  // `now`: keys that expired before it count as absent. `expires_at` for a TTL.
  Result<Written> put(std::string_view space_id, std::string_view key, const std::string& value,
                      const std::string& content_type, const PutOptions& options,
                      const std::string& now, const std::optional<std::string>& expires_at);
  Result<int64_t> remove(std::string_view space_id, std::string_view key,
                         std::optional<int64_t> expected_revision, const std::string& now);
  Result<std::optional<Entry>> get(std::string_view space_id, std::string_view key,
                                   const std::string& now);
  Result<Listing> list(std::string_view space_id, std::string_view prefix, std::string_view after,
                       int64_t limit, const std::string& now);
  Result<std::optional<Entry>> touch(std::string_view space_id, std::string_view key,
                                     const std::string& expires_at, const std::string& now);
  Result<std::vector<Change>> history(std::string_view space_id, std::string_view key,
                                      int64_t limit);
  Result<ChangesPage> changes(std::string_view space_id, std::string_view prefix,
                              int64_t after_revision, int64_t limit);
  // Deletes up to `limit` keys whose TTL passed before `now`; the spaces it wrote to.
  Result<std::vector<std::string>> expire(const std::string& now, int64_t limit,
                                          const cluster::Fence& fence);

 private:
  store::Store& store_;
};

}  // namespace ris::kv
