// Fuzzes the request-target parser (path decoding, query splitting) every HTTP request meets.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ris/net/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto r = ris::net::parse_target(input);
  if (r) {
    // Invariants: a decoded path never holds NUL, and never grows past its input.
    if (r->path.find('\0') != std::string::npos)
      __builtin_trap();
    if (r->path.size() > input.size())
      __builtin_trap();
  }
  return 0;
}
