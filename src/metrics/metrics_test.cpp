#include "ris/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "ris/metrics/process_metrics.hpp"

namespace ris::metrics {
namespace {
TEST(Metrics, renders_prometheus_text_exactly) {
  Registry r;
  r.counter("a_total", "Things", {"kind"}).with({"x\"y\\z\n"}).inc(2);
  r.gauge("b", "Level").with({}).set(1.5);
  auto& h = r.histogram("c_seconds", "Time", {"route"}, {0.1, 1});
  h.with({"/r"}).observe(0.05);
  h.with({"/r"}).observe(0.5);
  h.with({"/r"}).observe(3);
  EXPECT_EQ(r.render(),
            "# HELP a_total Things\n# TYPE a_total counter\na_total{kind=\"x\\\"y\\\\z\\n\"} 2\n"
            "# HELP b Level\n# TYPE b gauge\nb 1.5\n"
            "# HELP c_seconds Time\n# TYPE c_seconds histogram\n"
            "c_seconds_bucket{route=\"/r\",le=\"0.1\"} 1\nc_seconds_bucket{route=\"/r\",le=\"1\"} 2\n"
            "c_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\nc_seconds_sum{route=\"/r\"} 3.55\n"
            "c_seconds_count{route=\"/r\"} 3\n");
}

TEST(Metrics, children_are_stable_and_distinct_per_label_set) {
  Registry r;
  auto& f = r.counter("req_total", "R", {"status"});
  Counter& a = f.with({"200"});
  f.with({"500"}).inc();
  EXPECT_EQ(&a, &f.with({"200"}));
  EXPECT_NE(&a, &f.with({"500"}));
  EXPECT_THROW(f.with({"200", "extra"}), std::logic_error);
  EXPECT_THROW(r.counter("bad", "no suffix"), std::logic_error);
  EXPECT_EQ(&f, &r.counter("req_total", "R", {"status"}));
}

TEST(Metrics, concurrent_increments_all_land) {
  Registry r;
  auto& f = r.counter("n_total", "N", {"t"});
  auto& h = r.histogram("h", "H", {}, {1});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        f.with({"x"}).inc();
        h.with({}).observe(0.5);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(f.with({"x"}).value(), 400000);
  EXPECT_EQ(h.with({}).count(), 400000u);
}

TEST(Metrics, output_passes_promtool_check) {
  Registry r;
  register_process_metrics(r);
  r.counter("ris_x_total", "X", {"a"}).with({"1"}).inc();
  r.gauge("ris_g", "G").with({}).set(-2);
  r.histogram("ris_latency_seconds", "H", {"route"}, {0.001, 0.5}).with({"/"}).observe(0.2);
  r.callback_gauge("ris_cb", "CB", [] { return 7.0; });
  const std::string path = ::testing::TempDir() + "/metrics.txt";
  std::ofstream(path) << r.render();
  FILE* p = popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  std::string out;
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  EXPECT_EQ(rc, 0) << "promtool (Debian package prometheus) is required: " << out;
  EXPECT_TRUE(out.empty()) << out;
}

TEST(ProcessStats, reads_plausible_values) {
  auto s = read_process_stats();
  EXPECT_GT(s.open_fds, 0u);
  EXPECT_GT(s.rss_bytes, 0u);
  EXPECT_LE(s.max_fds_soft, s.max_fds_hard);
  EXPECT_GT(s.threads, 0u);
  EXPECT_GT(s.start_time_seconds, 1.6e9);
}
}  // namespace
}  // namespace ris::metrics
