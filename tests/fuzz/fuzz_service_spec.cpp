// Service specs as POSTed to /api/v1/spaces/{space}/services: any JSON either parses into a spec
// that round-trips (to_json → parse gives the same container hash) or is refused with an error.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <string_view>

#include "ris/services/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object())
    return 0;
  auto spec = ris::services::parse_service_spec(v.as_object());
  if (!spec)
    return 0;
  auto again = ris::services::parse_service_spec(ris::services::to_json(*spec, true));
  if (!again || ris::services::container_hash(*again, 0) != ris::services::container_hash(*spec, 0))
    __builtin_trap();  // a spec we accepted does not survive its own serialisation
  (void)ris::services::container_create_body(*spec, "s", "sp", "a", 1, "h", 0);
  return 0;
}
