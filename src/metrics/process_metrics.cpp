#include "ris/metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ris::metrics {

ProcessStats read_process_stats() {
  ProcessStats s;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++s.open_fds;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    s.max_fds_soft = rl.rlim_cur;
    s.max_fds_hard = rl.rlim_max;
  }
  // /proc/self/stat: fields after the parenthesised command name.
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in(line.substr(close + 2));
    std::string f[50];
    for (int i = 0; i < 50 && (in >> f[i]); ++i) {
    }
    // Indices relative to field 3 (state): utime=14, stime=15, num_threads=20, starttime=22,
    // vsize=23, rss=24 in proc(5) numbering.
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    auto num = [&](int field) { return std::strtod(f[field - 3].c_str(), nullptr); };
    s.cpu_seconds = (num(14) + num(15)) / tick;
    s.threads = static_cast<uint64_t>(num(20));
    s.virtual_bytes = static_cast<uint64_t>(num(23));
    s.rss_bytes = static_cast<uint64_t>(num(24) * page);
    std::ifstream uptime("/proc/uptime");
    double up = 0;
    uptime >> up;
    const double boot = static_cast<double>(time(nullptr)) - up;
    s.start_time_seconds = boot + num(22) / tick;
  }
  return s;
}

void register_process_metrics(Registry& r) {
  r.callback_counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds",
                     [] { return read_process_stats().cpu_seconds; });
  r.callback_gauge("process_resident_memory_bytes", "Resident memory size in bytes",
                   [] { return static_cast<double>(read_process_stats().rss_bytes); });
  r.callback_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes",
                   [] { return static_cast<double>(read_process_stats().virtual_bytes); });
  r.callback_gauge("process_open_fds", "Number of open file descriptors",
                   [] { return static_cast<double>(read_process_stats().open_fds); });
  r.callback_gauge("process_max_fds", "Maximum number of open file descriptors (soft limit)",
                   [] { return static_cast<double>(read_process_stats().max_fds_soft); });
  r.callback_gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds",
                   [] { return read_process_stats().start_time_seconds; });
  r.callback_gauge("process_threads", "Number of OS threads in the process",
                   [] { return static_cast<double>(read_process_stats().threads); });
}

}  // namespace ris::metrics
