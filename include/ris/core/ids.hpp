// Sortable unique ids (UUIDv7, RFC 9562): time-ordered, so indexes stay append-mostly.
#pragma once
#include <string>

namespace ris {
// A new UUIDv7 in canonical text form (36 chars, lower-case hex).
std::string new_id();
}  // namespace ris
