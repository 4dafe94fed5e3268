#include "ris/metrics/process_metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace ris::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Plain read(2) with O_CLOEXEC: iostreams would leave the descriptor open across a fork/exec
// done at the same moment by another thread (the agent spawns processes).
std::optional<std::string> read_small_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0)
    return std::nullopt;
  return text;
}

template <typename T>
T parse_number(std::string_view s) {
  T v{};
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// The fields of /proc/self/stat we use (proc(5) numbering in comments).
struct StatFields {
  double cpu_seconds = 0;      // (14) utime + (15) stime, in clock ticks
  uint64_t threads = 0;        // (20) num_threads
  uint64_t start_ticks = 0;    // (22) starttime, ticks after boot
  uint64_t virtual_bytes = 0;  // (23) vsize
  uint64_t rss_bytes = 0;      // (24) rss, in pages
};

std::optional<StatFields> read_stat() {
  const auto text = read_small_file("/proc/self/stat");
  if (!text)
    return std::nullopt;
  // The command name (2) is in parentheses and may itself hold spaces or ')'.
  const auto close = text->rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::string_view rest = std::string_view(*text).substr(close + 1);
  std::string_view field[25];  // index = proc(5) field number
  for (int i = 3; i < 25; ++i) {
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos)
      return std::nullopt;
    rest.remove_prefix(start);
    const auto end = rest.find(' ');
    field[i] = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  StatFields s;
  s.cpu_seconds =
      static_cast<double>(parse_number<uint64_t>(field[14]) + parse_number<uint64_t>(field[15])) /
      tick;
  s.threads = parse_number<uint64_t>(field[20]);
  s.start_ticks = parse_number<uint64_t>(field[22]);
  s.virtual_bytes = parse_number<uint64_t>(field[23]);
  s.rss_bytes = parse_number<uint64_t>(field[24]) * page;
  return s;
}

std::optional<uint64_t> count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");  // glibc opens it O_CLOEXEC
  if (dir == nullptr)
    return std::nullopt;
  uint64_t n = 0;
  while (const dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.')
      ++n;
  ::closedir(dir);
  return n;
}

std::optional<rlimit> fd_limits() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return std::nullopt;
  return rl;
}

// Boot time (`btime` in /proc/stat) plus the process's start in ticks after boot; exact, unlike
// now - uptime.
std::optional<double> start_time_seconds(uint64_t start_ticks) {
  const auto text = read_small_file("/proc/stat");
  if (!text)
    return std::nullopt;
  const auto pos = text->find("\nbtime ");
  if (pos == std::string::npos)
    return std::nullopt;
  const auto boot = parse_number<uint64_t>(std::string_view(*text).substr(pos + 7));
  return static_cast<double>(boot) +
         static_cast<double>(start_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

template <typename T, typename F>
double or_nan(const std::optional<T>& v, F field) {
  return v ? static_cast<double>(field(*v)) : kNaN;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  s.open_fds = count_open_fds().value_or(0);
  if (const auto rl = fd_limits()) {
    s.max_fds_soft = rl->rlim_cur;
    s.max_fds_hard = rl->rlim_max;
  }
  if (const auto st = read_stat()) {
    s.cpu_seconds = st->cpu_seconds;
    s.threads = st->threads;
    s.virtual_bytes = st->virtual_bytes;
    s.rss_bytes = st->rss_bytes;
    s.start_time_seconds = start_time_seconds(st->start_ticks).value_or(0);
  }
  return s;
}

void register_process_metrics(Registry& r) {
  // Each callback reads only the file it needs; a scrape reads /proc/self/stat a few times,
  // which costs microseconds.
  r.callback_counter("process_cpu_seconds_total",
                     "Total user and system CPU time spent in seconds.",
                     [] { return or_nan(read_stat(), [](auto& s) { return s.cpu_seconds; }); });
  r.callback_gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                   [] { return or_nan(read_stat(), [](auto& s) { return s.rss_bytes; }); });
  r.callback_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                   [] { return or_nan(read_stat(), [](auto& s) { return s.virtual_bytes; }); });
  r.callback_gauge("process_open_fds", "Number of open file descriptors.",
                   [] { return or_nan(count_open_fds(), [](auto n) { return n; }); });
  r.callback_gauge("process_max_fds", "Maximum number of open file descriptors.",
                   [] { return or_nan(fd_limits(), [](auto& rl) { return rl.rlim_cur; }); });
  r.callback_gauge("process_threads", "Number of OS threads in the process.",
                   [] { return or_nan(read_stat(), [](auto& s) { return s.threads; }); });
  // Does not change: read once.
  const auto stat = read_stat();
  const double started = stat ? start_time_seconds(stat->start_ticks).value_or(kNaN) : kNaN;
  r.callback_gauge("process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.",
                   [started] { return started; });
}

}  // namespace ris::metrics
