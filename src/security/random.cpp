#include "ris/security/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "ris/core/base64.hpp"

namespace ris::security {
std::string random_bytes(size_t bytes) {
  std::string buf(bytes, '\0');
  // Failure means the system has no entropy source: nothing sensible can continue.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(buf.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return buf;
}

std::string random_token(size_t bytes) {
  return base64url_encode(random_bytes(bytes));
}
}  // namespace ris::security
