#include "ris/core/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

namespace ris {
std::string new_id() {
  // Per-thread generator: no lock, and ids from different threads differ in their random bits.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  const uint64_t r1 = rng(), r2 = rng();
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i)
    b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | ((r1 >> 8) & 0x0f));  // version 7
  b[7] = static_cast<uint8_t>(r1);
  b[8] = static_cast<uint8_t>(0x80 | ((r2 >> 56) & 0x3f));  // variant 10
  for (int i = 9; i < 16; ++i)
    b[i] = static_cast<uint8_t>(r2 >> (8 * (15 - i)));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}
}  // namespace ris
