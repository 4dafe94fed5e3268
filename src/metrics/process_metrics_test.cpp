#include "ris/metrics/process_metrics.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

namespace ris::metrics {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

TEST(ProcessStats, reads_plausible_values_from_proc) {
  const auto s = read_process_stats();
  EXPECT_GT(s.open_fds, 0u);  // at least stdin/stdout/stderr
  EXPECT_GT(s.rss_bytes, 0u);
  EXPECT_GT(s.virtual_bytes, s.rss_bytes);
  EXPECT_GT(s.max_fds_soft, 0u);
  EXPECT_LE(s.max_fds_soft, s.max_fds_hard);
  EXPECT_GE(s.threads, 1u);
  EXPECT_GE(s.cpu_seconds, 0);
  EXPECT_GT(s.start_time_seconds, 1.6e9);
  EXPECT_LE(s.start_time_seconds, static_cast<double>(std::time(nullptr)) + 1);
}

TEST(ProcessMetrics, every_standard_metric_is_exported_with_a_number) {
  Registry r;
  register_process_metrics(r);
  register_process_metrics(r);  // again: harmless
  const std::string text = r.render();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds", "process_threads"}) {
    const std::string line_start = std::string("\n") + name + " ";
    const auto at = text.find(line_start);
    ASSERT_NE(at, std::string::npos) << name << " missing in:\n" << text;
    EXPECT_NE(text.compare(at + line_start.size(), 3, "NaN"), 0) << name << " unreadable";
  }
}

// promtool is the reference parser and linter; the test fails rather than skips without it,
// so a CI image missing it is noticed.
TEST(ProcessMetrics, rendered_registry_of_every_kind_passes_promtool_check_metrics) {
  ASSERT_EQ(::access(kPromtool, X_OK), 0)
      << kPromtool << " is required (Debian package 'prometheus') to check the exposition format";
  Registry r;
  register_process_metrics(r);
  r.counter("ris_requests_total", "Requests, by route and status", {"route", "status"})
      .with({"/api/v1/agents/{id}", "200"})
      .inc(3);
  r.counter("ris_escapes_total", "Label values that need escaping", {"value"})
      .with({"quote \" backslash \\ newline \n end"})
      .inc();
  r.gauge("ris_queue_depth", "Queued items").with({}).set(-2.5);
  auto& latency = r.histogram("ris_request_duration_seconds", "Request latency", {"route"},
                              {0.0005, 0.001, 0.5, 10});
  latency.with({"/"}).observe(0.2);
  latency.with({"/"}).observe(20);
  latency.with({"/health"}).observe(0.0001);
  r.histogram("ris_payload_bytes", "Payload sizes", {}, {1024, 1048576}).with({}).observe(4096);
  r.callback_gauge("ris_agents_connected", "Connected agents", [] { return 7.0; });
  r.callback_counter("ris_dropped_events_total", "Events dropped", [] { return 1e20; });

  const std::string path = ::testing::TempDir() + "/ris_metrics_promtool.txt";
  std::ofstream(path) << r.render();
  FILE* p = ::popen((std::string(kPromtool) + " check metrics < " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  const int status = ::pclose(p);
  std::remove(path.c_str());
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "") << "promtool reported problems";
}

}  // namespace
}  // namespace ris::metrics
