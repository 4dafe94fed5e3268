// Time helpers: everything is UTC, RFC 3339 on the wire.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ris {
using SystemTime = std::chrono::system_clock::time_point;
// "2026-11-23T10:30:00.123Z" (milliseconds, always UTC).
std::string to_rfc3339(SystemTime t);
inline std::string now_rfc3339() {
  return to_rfc3339(std::chrono::system_clock::now());
}
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"; nullopt for anything else. Stored times
// are re-formatted with to_rfc3339 so they compare correctly as strings.
std::optional<SystemTime> parse_rfc3339(std::string_view text);
}  // namespace ris
