#include "ris/agent/docker_stream.hpp"

#include <algorithm>
#include <cstring>

namespace ris::agent {

void DockerStreamDemux::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (left_ == 0) {
      const size_t take = std::min(bytes.size(), sizeof header_ - header_have_);
      std::memcpy(header_ + header_have_, bytes.data(), take);
      header_have_ += take;
      bytes.remove_prefix(take);
      if (header_have_ < sizeof header_)
        return;
      header_have_ = 0;
      stream_ = static_cast<unsigned char>(header_[0]);
      left_ = (uint64_t{static_cast<unsigned char>(header_[4])} << 24) |
              (uint64_t{static_cast<unsigned char>(header_[5])} << 16) |
              (uint64_t{static_cast<unsigned char>(header_[6])} << 8) |
              uint64_t{static_cast<unsigned char>(header_[7])};
      continue;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(left_, bytes.size()));
    sink_(stream_ == 2 ? "stderr" : "stdout", bytes.substr(0, take));
    left_ -= take;
    bytes.remove_prefix(take);
  }
}

}  // namespace ris::agent
