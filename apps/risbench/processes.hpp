// Child processes for risbench: risd itself, and risbench workers (simulated agents, event
// subscribers) whose stdout lines are the measurements. Plus /proc readings of a process.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace ris::bench {

// Nanoseconds of CLOCK_MONOTONIC: comparable between the processes of one machine.
int64_t now_ns();
// Seconds since `start` (a now_ns() reading).
double seconds_since(int64_t start);

// A started process. Its stdout lines go to `on_line` (on a reader thread) if given, else to
// `log_file`; stderr always to `log_file` (appended). Killed (SIGTERM, then SIGKILL) when stopped
// or destroyed.
class Child {
 public:
  using LineHandler = std::function<void(const std::string& line)>;
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
        const std::filesystem::path& log_file, LineHandler on_line = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  bool running();  // reaps the process when it has exited
  // Waits for the process to exit by itself; its exit code (128+N when signal N ended it).
  int wait();
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::thread reader_;
};

// A loopback TCP port nobody listens on right now.
int free_port();

// A whole file ("" when it cannot be read).
std::string read_file(const std::filesystem::path& p);

// Resident set size in bytes and CPU time (user + system) in seconds, from /proc/PID.
int64_t rss_bytes(pid_t pid);
double cpu_seconds(pid_t pid);

}  // namespace ris::bench
