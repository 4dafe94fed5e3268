// Batches one server sends another over the bus (src/fleet/routed.hpp): parse without crashing,
// bounded work, and whatever parses serialises and parses again to the same items.
#include <cstdint>
#include <string_view>

#include "fleet/routed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto batch = ris::fleet::parse_routed_batch(input);
  if (!batch)
    return 0;
  auto again = ris::fleet::parse_routed_batch(ris::fleet::serialize(*batch));
  if (!again || again->items.size() != batch->items.size() || again->from != batch->from)
    __builtin_trap();
  for (size_t i = 0; i < batch->items.size(); ++i)
    if (again->items[i].op != batch->items[i].op ||
        again->items[i].agent_id != batch->items[i].agent_id ||
        again->items[i].run_id != batch->items[i].run_id ||
        again->items[i].topic != batch->items[i].topic)
      __builtin_trap();
  return 0;
}
