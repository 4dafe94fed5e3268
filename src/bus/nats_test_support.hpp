// What the tests against a real nats-server share: the URL of the CTest fixture "nats", names
// no other test uses, waiting for a condition, and a private server to kill and restart.
#pragma once
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

namespace ris::bus::testing {

inline std::string read_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// The shared server's URL (never stopped by a test), empty outside ctest.
inline std::string shared_url() {
  const char* file = std::getenv("RIS_TEST_NATS_URL_FILE");
  if (file == nullptr)
    return {};
  return read_line(file);
}

// "t<random>x<n>.": a subject prefix of this test alone.
inline std::string unique_prefix() {
  static std::atomic<int> n{0};
  std::random_device rd;
  return fmt::format("t{}x{}.", rd() % 1'000'000'000, n++);
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A server of the test's own (scripts/nats-test-server), stopped and removed at the end.
class PrivateServer {
 public:
  PrivateServer()
      : dir_(std::filesystem::temp_directory_path() / ("ris-nats-" + unique_prefix() + "d")) {}
  ~PrivateServer() { run("stop"); }
  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;
  bool run(std::string_view cmd) {
    return std::system(fmt::format("{} {} {} >/dev/null", RIS_NATS_TEST_SERVER, cmd, dir_.string())
                           .c_str()) == 0;
  }
  std::string url() const { return read_line(dir_ / "url"); }

 private:
  std::filesystem::path dir_;
};

}  // namespace ris::bus::testing
