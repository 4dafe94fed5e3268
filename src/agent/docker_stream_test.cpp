#include "ris/agent/docker_stream.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ris::agent {
namespace {

std::string frame(char stream, std::string_view payload) {
  std::string f(8, '\0');
  f[0] = stream;
  const auto n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + std::string(payload);
}

TEST(DockerStreamDemux, frames_split_anywhere_come_out_whole_and_in_order) {
  const std::string wire =
      frame(1, "out one\n") + frame(2, "err\n") + frame(1, "") + frame(1, "out two\n");
  for (size_t piece = 1; piece <= wire.size(); ++piece) {
    std::string out, err;
    DockerStreamDemux demux([&](std::string_view stream, std::string_view data) {
      (stream == "stderr" ? err : out) += data;
    });
    for (size_t i = 0; i < wire.size(); i += piece)
      demux.feed(std::string_view(wire).substr(i, piece));
    EXPECT_EQ(out, "out one\nout two\n") << "pieces of " << piece;
    EXPECT_EQ(err, "err\n") << "pieces of " << piece;
  }
}

TEST(DockerStreamDemux, a_truncated_frame_emits_only_what_arrived) {
  std::string got;
  DockerStreamDemux demux([&](std::string_view, std::string_view data) { got += data; });
  demux.feed(frame(1, "abcdef").substr(0, 11));
  EXPECT_EQ(got, "abc");
}

}  // namespace
}  // namespace ris::agent
