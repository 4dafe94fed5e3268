#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace ris::agent {

// Docker's multiplexed stream of a container without a TTY (logs, attach): frames of an 8-byte
// header (stream 1 stdout / 2 stderr, 3 zero bytes, big-endian length) and the payload. Fed
// arbitrary pieces; emits whole or partial frames in order. Fuzzed (fuzz_docker_stream).
class DockerStreamDemux {
 public:
  using Sink = std::function<void(std::string_view stream, std::string_view data)>;
  explicit DockerStreamDemux(Sink sink) : sink_(std::move(sink)) {}
  void feed(std::string_view bytes);

 private:
  Sink sink_;
  char header_[8] = {};
  size_t header_have_ = 0;
  uint64_t left_ = 0;  // payload bytes left in the current frame
  int stream_ = 1;
};

}  // namespace ris::agent
