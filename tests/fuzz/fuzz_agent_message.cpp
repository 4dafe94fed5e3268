// Agent protocol frames (both directions) and label selectors from the API: parse without
// crashing, bounded work, and no forged control message ever passes the replay guard.
#include <cstdint>
#include <string_view>

#include "ris/fleet/protocol.hpp"
#include "ris/fleet/selector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ris::security::Ed25519Key key = *ris::security::Ed25519Key::generate();
  static ris::fleet::ReplayGuard guard(key.public_raw(), std::chrono::seconds(300));
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto e = ris::fleet::parse_envelope(input)) {
    (void)ris::fleet::serialize(*e);
    if (guard.check(*e))
      __builtin_trap();  // a forged control message verified
  }
  if (auto s = ris::fleet::parse_selector(input))
    (void)s->matches({{"env", "prod"}, {"role", "db"}});
  return 0;
}
