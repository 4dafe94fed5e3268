// Schedules as POSTed to /api/v1/spaces/{space}/schedules: any JSON either parses into a spec
// that round-trips (to_json → parse gives the same spec) or is refused with an error; the next
// fire of an accepted spec is strictly later than the instant asked about.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <string_view>

#include "schedule/schedule_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The expression alone, as the first line (cron, macros, @every).
  (void)ris::schedule::When::parse(text.substr(0, text.find('\n')));
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object())
    return 0;
  auto spec = ris::schedule::parse_spec(v.as_object());
  if (!spec)
    return 0;
  const auto stored = ris::schedule::to_json(*spec);
  auto again = ris::schedule::parse_spec(stored);
  if (!again ||
      boost::json::serialize(ris::schedule::to_json(*again)) != boost::json::serialize(stored))
    __builtin_trap();  // a spec we accepted does not survive its own serialisation
  const ris::SystemTime at{std::chrono::seconds(1'800'000'000)};
  if (auto next = spec->when.next_after(at, spec->zone, at); next && *next <= at)
    __builtin_trap();
  return 0;
}
