#include "ris/core/result.hpp"

namespace ris {
std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::unauthenticated:
      return "unauthenticated";
    case Errc::forbidden:
      return "forbidden";
    case Errc::not_found:
      return "not_found";
    case Errc::conflict:
      return "conflict";
    case Errc::too_large:
      return "too_large";
    case Errc::rate_limited:
      return "rate_limited";
    case Errc::unavailable:
      return "unavailable";
    case Errc::busy:
      return "busy";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}
}  // namespace ris
