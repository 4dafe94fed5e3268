// Docker's multiplexed log stream as it arrives from the daemon: any bytes, cut anywhere, never
// crash, and never emit more payload than was fed.
#include <cstdint>
#include <string_view>

#include "ris/agent/docker_stream.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t emitted = 0;
  ris::agent::DockerStreamDemux demux(
      [&](std::string_view, std::string_view payload) { emitted += payload.size(); });
  // The first byte chooses the piece size, so splits are explored too.
  const size_t piece = size ? 1 + data[0] % 16 : 1;
  for (size_t i = 0; i < input.size(); i += piece)
    demux.feed(input.substr(i, piece));
  if (emitted > size)
    __builtin_trap();
  return 0;
}
