// The standard process_* metrics and raw process figures, read from /proc/self.
#pragma once
#include <cstdint>

#include "ris/metrics/metrics.hpp"

namespace ris::metrics {

struct ProcessStats {
  uint64_t open_fds = 0, max_fds_soft = 0, max_fds_hard = 0, rss_bytes = 0, virtual_bytes = 0, threads = 0;
  double cpu_seconds = 0, start_time_seconds = 0;
};
ProcessStats read_process_stats();

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds, process_threads.
void register_process_metrics(Registry& registry);

}  // namespace ris::metrics
