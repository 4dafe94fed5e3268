// Fuzzes the /events/v1 frame parser: arbitrary text from a WebSocket peer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/events_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto m = ris::api::parse_client_message(input);
  if (m && m->id.size() > 128)
    __builtin_trap();
  return 0;
}
