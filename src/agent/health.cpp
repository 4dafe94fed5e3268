#include "health.hpp"

#include <ifaddrs.h>
#include <netdb.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

namespace ris::agent {
namespace {
struct CpuTimes {
  uint64_t busy = 0, total = 0;
};
CpuTimes read_cpu() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  uint64_t v[8] = {};
  f >> cpu >> v[0] >> v[1] >> v[2] >> v[3] >> v[4] >> v[5] >> v[6] >> v[7];
  CpuTimes t;
  for (auto x : v)
    t.total += x;
  t.busy = t.total - v[3] - v[4];
  return t;
}
int64_t meminfo(const std::string& key) {
  std::ifstream f("/proc/meminfo");
  std::string k;
  int64_t kb = 0;
  std::string unit;
  while (f >> k >> kb >> unit)
    if (k == key + ":")
      return kb * 1024;
  return 0;
}
int64_t own_rss() {
  std::ifstream f("/proc/self/statm");
  int64_t size = 0, rss = 0;
  f >> size >> rss;
  return rss * sysconf(_SC_PAGESIZE);
}
}  // namespace

boost::json::object sample_health(int64_t running, int64_t executed_total) {
  static std::mutex mu;
  static CpuTimes last = read_cpu();
  double cpu_percent = 0;
  {
    std::lock_guard lock(mu);
    const CpuTimes now = read_cpu();
    if (now.total > last.total)
      cpu_percent = 100.0 * static_cast<double>(now.busy - last.busy) /
                    static_cast<double>(now.total - last.total);
    last = now;
  }
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  struct statvfs fs {};
  statvfs("/", &fs);
  double uptime = 0;
  std::ifstream("/proc/uptime") >> uptime;
  const int64_t mem_total = meminfo("MemTotal"), mem_available = meminfo("MemAvailable");
  return {{"load_1m", load[0]},
          {"load_5m", load[1]},
          {"load_15m", load[2]},
          {"cpu_percent", cpu_percent},
          {"memory_total_bytes", mem_total},
          {"memory_used_bytes", mem_total - mem_available},
          {"disk_total_bytes", static_cast<int64_t>(fs.f_blocks * fs.f_frsize)},
          {"disk_used_bytes", static_cast<int64_t>((fs.f_blocks - fs.f_bfree) * fs.f_frsize)},
          {"uptime_seconds", static_cast<int64_t>(uptime)},
          {"running_tasks", running},
          {"ris_client_tasks_executed_total", executed_total},
          {"ris_client_memory_usage_bytes", own_rss()}};
}

boost::json::object host_facts() {
  struct utsname u {};
  uname(&u);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string os = "linux";
  std::ifstream f("/etc/os-release");
  for (std::string line; std::getline(f, line);)
    if (line.starts_with("PRETTY_NAME="))
      os = line.substr(13, line.size() > 14 ? line.size() - 14 : 0);
  boost::json::array addrs;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (auto* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
        continue;
      char buf[NI_MAXHOST];
      const socklen_t len =
          a->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      if (getnameinfo(a->ifa_addr, len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0 &&
          addrs.size() < 16)
        addrs.emplace_back(buf);
    }
    freeifaddrs(list);
  }
  return {{"hostname", host},  {"os", os},           {"kernel", u.release},
          {"arch", u.machine}, {"addresses", addrs}, {"agent_version", "0.1.0"}};
}

}  // namespace ris::agent
