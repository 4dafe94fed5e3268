// The key-value store of a space (seed 001 ARKVD), on the store itself so that it is
// linearizable on both engines: every write raises the space's revision inside its own
// transaction. Values are bytes or JSON (≤ 1 MiB); puts can be create-only or compare-and-set on
// the key's revision, deletes too; a key may carry a TTL, kept alive by touching it; keys list
// by prefix with pagination; each key keeps its recent history; and a watch reads the change log
// after a revision — so a watcher that reconnects, or moves to another server, resumes from the
// last revision it saw with no gap and no duplicate. Other servers learn of writes over the bus
// (a hint to re-read, never the data). docs/kv.md is the user's guide.
//
// Needs USE_KV, checked against the key's first segment ("config" for "config/app/port") as
// the resource, so a role overwrite on one prefix counts.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ris/bus/bus.hpp"
#include "ris/cluster/duty.hpp"
#include "ris/core/result.hpp"
#include "ris/core/wakeups.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::kv {

inline constexpr size_t kMaxValueBytes = 1 << 20;
inline constexpr size_t kMaxKeyBytes = 512;
inline constexpr std::string_view kAgentPrefix = "config/";  // what agents read

struct Entry {
  std::string key;
  std::string value;         // the bytes
  std::string content_type;  // application/json, text/plain, application/octet-stream
  int64_t create_revision = 0, mod_revision = 0, version = 0;
  std::optional<std::string> expires_at;
};

struct Change {
  int64_t revision = 0;
  std::string key, op;  // put | delete | expire
  std::optional<std::string> value, content_type;
  std::string at;
};

struct PutOptions {
  bool create_only = false;                  // refused (409) when the key exists
  std::optional<int64_t> expected_revision;  // the key's mod_revision; 0: must not exist
  std::optional<int64_t> ttl_seconds;        // the key expires then unless touched
};

struct Written {
  Entry entry;
  int64_t revision = 0;  // the space's revision after the write
};

struct Listing {
  std::vector<Entry> items;
  int64_t revision = 0;  // the space's revision the list was read at: watch from here
};

struct ChangesPage {
  std::vector<Change> items;
  int64_t revision = 0;  // read up to here: the next watch asks for changes after it
};

class Kv {
 public:
  Kv(store::Store& store, bus::Bus* bus);
  ~Kv();

  Result<Written> put(const identity::SpaceAccess& access, std::string_view key, std::string value,
                      std::string content_type, const PutOptions& options);
  Result<Entry> get(const identity::SpaceAccess& access, std::string_view key);
  // Keys starting with `prefix`, by key, after `after` (the last key of the previous page).
  Result<Listing> list(const identity::SpaceAccess& access, std::string_view prefix,
                       std::string_view after, int limit);
  // The space's revision after the delete; Errc::conflict when `expected_revision` is stale.
  Result<int64_t> remove(const identity::SpaceAccess& access, std::string_view key,
                         std::optional<int64_t> expected_revision);
  // Keeps a key with a TTL alive: it now expires `ttl_seconds` from now (no new revision).
  Result<Entry> touch(const identity::SpaceAccess& access, std::string_view key,
                      int64_t ttl_seconds);
  // The key's recent changes, newest first.
  Result<std::vector<Change>> history(const identity::SpaceAccess& access, std::string_view key,
                                      int limit);
  // Changes of keys under `prefix` after `after_revision`, oldest first (empty when none yet).
  // Errc::conflict ("compacted") when changes after that revision were already trimmed: list the
  // keys again, then watch from the revision that answered.
  Result<ChangesPage> changes(const identity::SpaceAccess& access, std::string_view prefix,
                              int64_t after_revision, int limit);
  // Agents of a space read its keys under config/ (seed 000's configuration distribution) —
  // and only those: agents are not members, and no role applies to them. Errc::forbidden for a
  // key or prefix elsewhere.
  Result<Entry> get_for_agent(const std::string& space_id, std::string_view key);
  Result<ChangesPage> changes_for_agent(const std::string& space_id, std::string_view prefix,
                                        int64_t after_revision, int limit);

  // Calls `resume` (from the waiting thread: hand real work elsewhere) when the space may have
  // changed — a write here or, over the bus, on another server — or at the latest 250 ms later,
  // so that a lost hint costs a quarter second and never a missed change.
  void wait_for_change(const std::string& space_id, std::function<void()> resume);

  // Deletes keys whose TTL passed (each an "expire" change), under the fence of the duty
  // "kv_expiry" (risd runs it four times a second: ris/cluster/duty_loop.hpp).
  Result<size_t> expire(SystemTime now, const cluster::Fence& fence);

 private:
  void changed(const std::string& space_id, bool tell_others);
  store::Store& store_;
  bus::Bus* bus_;
  Wakeups wakeups_;  // by space id
  std::unique_ptr<bus::Subscription> subscription_;
};

}  // namespace ris::kv
