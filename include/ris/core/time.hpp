// Time helpers: everything is UTC, RFC 3339 on the wire.
#pragma once
#include <chrono>
#include <string>

namespace ris {
using SystemTime = std::chrono::system_clock::time_point;
// "2026-11-23T10:30:00.123Z" (milliseconds, always UTC).
std::string to_rfc3339(SystemTime t);
inline std::string now_rfc3339() {
  return to_rfc3339(std::chrono::system_clock::now());
}
}  // namespace ris
