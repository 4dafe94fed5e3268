#include "ris/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ris::metrics {
namespace {

TEST(Registry, renders_text_format_exactly_sorted_by_name) {
  Registry r;
  auto& h = r.histogram("c_seconds", "Time", {"route"}, {0.1, 1});
  h.with({"/r"}).observe(0.0625);
  h.with({"/r"}).observe(1);  // a bound is inclusive
  h.with({"/r"}).observe(3);
  r.histogram("e_bytes", "Size", {}, {1024});
  auto& a = r.counter("a_total", "Things \\ counted\nper kind", {"kind"});
  a.with({"x\"y\\z\n"}).inc(2);
  a.with({"plain"}).inc();
  r.gauge("b", "Level").with({}).set(1.5);
  r.callback_gauge("b_cb", "Read late", [] { return 7.0; });
  r.counter("d_total", "Never touched");

  EXPECT_EQ(r.render(),
            "# HELP a_total Things \\\\ counted\\nper kind\n"
            "# TYPE a_total counter\n"
            "a_total{kind=\"plain\"} 1\n"
            "a_total{kind=\"x\\\"y\\\\z\\n\"} 2\n"
            "# HELP b Level\n"
            "# TYPE b gauge\n"
            "b 1.5\n"
            "# HELP b_cb Read late\n"
            "# TYPE b_cb gauge\n"
            "b_cb 7\n"
            "# HELP c_seconds Time\n"
            "# TYPE c_seconds histogram\n"
            "c_seconds_bucket{route=\"/r\",le=\"0.1\"} 1\n"
            "c_seconds_bucket{route=\"/r\",le=\"1\"} 2\n"
            "c_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\n"
            "c_seconds_sum{route=\"/r\"} 4.0625\n"
            "c_seconds_count{route=\"/r\"} 3\n"
            "# HELP d_total Never touched\n"
            "# TYPE d_total counter\n"
            "d_total 0\n"
            "# HELP e_bytes Size\n"
            "# TYPE e_bytes histogram\n"
            "e_bytes_bucket{le=\"1024\"} 0\n"
            "e_bytes_bucket{le=\"+Inf\"} 0\n"
            "e_bytes_sum 0\n"
            "e_bytes_count 0\n");
}

TEST(Metrics, values_add_up) {
  Registry r;
  Counter& c = r.counter("c_total", "C").with({});
  c.inc();
  c.inc(2.5);
  EXPECT_EQ(c.value(), 3.5);

  Gauge& g = r.gauge("g", "G").with({});
  g.set(10);
  g.add(-12.5);
  EXPECT_EQ(g.value(), -2.5);

  Histogram& h =
      r.histogram("h", "H", {}, {1, 2, std::numeric_limits<double>::infinity()}).with({});
  for (double v : {0.5, 1.0, 1.5, 2.0, 9.0, std::nan("")})
    h.observe(v);
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<uint64_t>{2, 4, 6}));  // NaN lands in +Inf
  EXPECT_EQ(snap.count, 6u);
  EXPECT_EQ(h.count(), 6u);
  EXPECT_TRUE(std::isnan(snap.sum));
  EXPECT_EQ(h.bounds().size(), 2u);  // the explicit +Inf is implied, not a bound
}

TEST(Family, same_labels_give_the_same_child_and_different_labels_another) {
  Registry r;
  auto& f = r.counter("req_total", "R", {"route", "status"});
  Counter& a = f.with({"/x", "200"});
  Counter& b = f.with({"/x", "500"});
  EXPECT_NE(&a, &b);
  for (int i = 0; i < 1000; ++i)
    f.with({"/y", std::to_string(i)});  // grow the map
  const std::vector<std::string_view> again{"/x", "200"};
  EXPECT_EQ(&a, &f.with(again));
  EXPECT_EQ(&b, &f.with({"/x", "500"}));
}

TEST(Family, wrong_label_count_is_a_logic_error) {
  Registry r;
  auto& f = r.counter("req_total", "R", {"status"});
  EXPECT_THROW(f.with({}), std::logic_error);
  EXPECT_THROW(f.with({"200", "extra"}), std::logic_error);
  EXPECT_THROW(r.gauge("g", "G").with({"x"}), std::logic_error);
}

TEST(Registry, registering_again_returns_the_existing_family_when_it_matches) {
  Registry r;
  auto& f = r.counter("req_total", "R", {"status"});
  EXPECT_EQ(&f, &r.counter("req_total", "other help", {"status"}));
  auto& h = r.histogram("lat_seconds", "L", {}, {1, 2});
  EXPECT_EQ(&h, &r.histogram("lat_seconds", "L", {}, {1, 2}));
}

TEST(Registry, conflicting_or_invalid_registrations_are_logic_errors) {
  Registry r;
  r.counter("req_total", "R", {"status"});
  r.histogram("lat_seconds", "L", {}, {1, 2});
  r.callback_gauge("queue_depth", "Q", [] { return 1.0; });

  EXPECT_THROW(r.counter("req_total", "R", {"code"}), std::logic_error);        // labels differ
  EXPECT_THROW(r.gauge("req_total", "R", {"status"}), std::logic_error);        // type differs
  EXPECT_THROW(r.histogram("lat_seconds", "L", {}, {1, 3}), std::logic_error);  // bounds
  EXPECT_THROW(r.gauge("queue_depth", "Q"), std::logic_error);                  // a callback's
  EXPECT_THROW(r.callback_gauge("req_total", "R", [] { return 1.0; }), std::logic_error);
  EXPECT_THROW(r.gauge("lat_seconds_count", "C"), std::logic_error);  // histogram's series
  r.gauge("y_sum", "S");
  EXPECT_THROW(r.histogram("y", "Y", {}, {1}), std::logic_error);  // would write y_sum too

  EXPECT_THROW(r.counter("requests", "no _total"), std::logic_error);
  EXPECT_THROW(r.callback_counter("cpu_seconds", "no _total", [] { return 1.0; }),
               std::logic_error);
  EXPECT_THROW(r.gauge("1bad", "B"), std::logic_error);
  EXPECT_THROW(r.gauge("bad-name", "B"), std::logic_error);
  EXPECT_THROW(r.gauge("g", "G", {"bad label"}), std::logic_error);
  EXPECT_THROW(r.gauge("g", "G", {"__reserved"}), std::logic_error);
  EXPECT_THROW(r.gauge("g", "G", {"a", "a"}), std::logic_error);
  EXPECT_THROW(r.histogram("h", "H", {"le"}, {1}), std::logic_error);
  EXPECT_THROW(r.histogram("h", "H", {}, {2, 1}), std::logic_error);
  EXPECT_THROW(r.histogram("h", "H", {}, {1, 1}), std::logic_error);
  EXPECT_THROW(r.histogram("h", "H", {}, {std::nan("")}), std::logic_error);
}

TEST(Registry, callback_is_read_at_render_time_and_can_be_replaced) {
  Registry r;
  double depth = 1;
  r.callback_gauge("queue_depth", "Q", [&] { return depth; });
  depth = 42;
  EXPECT_NE(r.render().find("\nqueue_depth 42\n"), std::string::npos);
  r.callback_gauge("queue_depth", "Q", [] { return 5.0; });
  EXPECT_NE(r.render().find("\nqueue_depth 5\n"), std::string::npos);
}

TEST(Metrics, concurrent_updates_from_four_threads_all_land) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  Registry r;
  auto& requests = r.counter("n_total", "N", {"t"});
  Counter& cached = r.counter("cached_total", "C").with({});
  Gauge& gauge = r.gauge("g", "G").with({});
  auto& latency = r.histogram("h_seconds", "H", {"t"}, {0.5, 1});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string mine = std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        requests.with({"shared"}).inc();
        cached.inc();
        gauge.add(1);
        latency.with({"shared"}).observe(i % 2 == 0 ? 0.25 : 2);
        if (i % 1000 == 0)
          requests.with({mine + "-" + std::to_string(i)}).inc();  // new children
        if (i % 10'000 == 0)
          (void)r.render();  // scrapes race with updates
      }
    });
  }
  for (auto& t : threads)
    t.join();
  constexpr double kTotal = kThreads * kPerThread;
  EXPECT_EQ(requests.with({"shared"}).value(), kTotal);
  EXPECT_EQ(cached.value(), kTotal);
  EXPECT_EQ(gauge.value(), kTotal);
  const auto snap = latency.with({"shared"}).snapshot();
  EXPECT_EQ(snap.count, static_cast<uint64_t>(kTotal));
  EXPECT_EQ(snap.cumulative[0], static_cast<uint64_t>(kTotal / 2));
  EXPECT_EQ(snap.sum, kTotal / 2 * 0.25 + kTotal / 2 * 2);
  EXPECT_EQ(requests.with({"3-99000"}).value(), 1);
}

}  // namespace
}  // namespace ris::metrics
