// What one server asks another to do for an agent whose connection the other holds: the
// messages on the bus subject `ris.server.<id>.agents` (DESIGN.md, "Several servers"). A batch
// of items, each naming the agent; the holder carries them out as if they had been asked of it.
// Items name things, they never carry what is sent to the agent: the holder reads runs and
// desired services from the store and signs the messages itself, so a message on the bus can
// neither forge a signed instruction nor expose a secret (service secrets are opened only by
// the server that sends them over the agent's TLS connection). Bus delivery is
// at-most-once: a lost item costs a delay, never work — runs are stored before they are
// announced, and the holder's sweeper and every agent's hello redeliver what is due.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::fleet {

struct RoutedItem {
  enum class Op { send_run, dispatch_pending, cancel, refresh, disconnect };
  Op op = Op::dispatch_pending;
  std::string agent_id;
  std::string run_id, task_id;  // send_run; cancel (run only)
  std::string topic;            // refresh: what to send again ("services")
  uint16_t code = 0;            // disconnect
  std::string reason;           // disconnect
};

struct RoutedBatch {
  std::string from;  // the sending server's id
  std::vector<RoutedItem> items;
};

inline constexpr size_t kMaxRoutedBatchBytes = 4 << 20;
inline constexpr size_t kMaxRoutedItems = 2000;

std::string serialize(const RoutedBatch& batch);
// Refuses anything malformed as a whole (bus peers are our own servers: a bad batch is a bug or
// a stranger on the bus, logged, never half-applied).
Result<RoutedBatch> parse_routed_batch(std::string_view text);

}  // namespace ris::fleet
