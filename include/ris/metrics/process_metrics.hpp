// The standard Prometheus process_* metrics, and the same figures as plain numbers for the
// detailed health endpoint. Everything is read from /proc/self (Linux) when asked for, so a
// scrape always sees current values and nothing runs in between.
#pragma once
#include <cstdint>

#include "ris/metrics/metrics.hpp"

namespace ris::metrics {

// A figure that could not be read is 0.
struct ProcessStats {
  uint64_t open_fds = 0;      // entries in /proc/self/fd, the one used to count them included
  uint64_t max_fds_soft = 0;  // RLIMIT_NOFILE
  uint64_t max_fds_hard = 0;
  uint64_t rss_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t threads = 0;
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // since the Unix epoch
};
ProcessStats read_process_stats();

// Registers, as callbacks read at scrape time: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds (soft RLIMIT_NOFILE), process_start_time_seconds, process_threads.
// A value that cannot be read is exported as NaN. Calling it again is harmless.
void register_process_metrics(Registry& registry);

}  // namespace ris::metrics
