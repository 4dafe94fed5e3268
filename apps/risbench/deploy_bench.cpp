// The deploy scenario: a deployment file of 1,000 services on 100 nodes (each service depends on
// one or two earlier ones, so the waves are deep and wide), read, checked and planned against a
// live state that has every service with one field changed — what `risctl deploy validate`
// and a plan do on every run; and a compact file of the same 1,000 services (one line each).
// No risd: the figures are the reader and planner alone.
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "ris/deploy/plan.hpp"
#include "scenarios.hpp"

namespace ris::bench {

boost::json::object deploy(const BenchOptions&) {
  constexpr int kServices = 1000, kNodes = 100, kReads = 50;
  std::string file = "variables: {port: \"8080\"}\nnodes:\n";
  for (int n = 0; n < kNodes; ++n)
    file += fmt::format("  n{}: {{selector: {{rack: r{}}}}}\n", n, n);
  file += "services:\n";
  for (int i = 0; i < kServices; ++i) {
    std::string deps;
    if (i > 0)
      deps = fmt::format(", depends_on: [s{}{}]", (i - 1) / 2,
                         i > 2 ? fmt::format(", {{service: s{}, condition: healthy}}", i / 3) : "");
    file += fmt::format(
        "  s{}: {{kind: shell, on: [n{}], shell: {{start: \"run --port ${{port}}\", "
        "files: [{{path: /etc/s{}.conf, content: \"x\", mode: \"0644\"}}]}}, health: {{command: "
        "\"check\", interval_seconds: 5, timeout_seconds: 2}}{}}}\n",
        i, i % kNodes, i, deps);
  }
  // The same dependencies, each service on one line with only what it must say.
  std::string compact = "nodes: {n: {agent: a}}\nservices:\n";
  for (int i = 0; i < kServices; ++i)
    compact += fmt::format("  s{}: {{kind: shell, on: n, shell: {{start: run}}{}}}\n", i,
                           i == 0 ? "" : fmt::format(", depends_on: [s{}]", (i - 1) / 2));
  std::vector<double> read_ms, plan_ms, compact_ms;
  size_t waves = 0;
  for (int r = 0; r < kReads; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    auto read = deploy::read_deployment(file, "");
    const auto t1 = std::chrono::steady_clock::now();
    if (!read.deployment)
      throw std::runtime_error("the generated file does not read: " +
                               deploy::format_diagnostics("bench", read.diagnostics));
    deploy::Live live;
    for (const auto& s : read.deployment->services) {
      live[s.name] = s.spec;
      live[s.name]["shell"].as_object()["start"] = "old";
    }
    const auto t2 = std::chrono::steady_clock::now();
    const auto plan = deploy::make_plan(*read.deployment, live);
    const auto t3 = std::chrono::steady_clock::now();
    waves = plan.waves.size();
    const auto t4 = std::chrono::steady_clock::now();
    if (!deploy::read_deployment(compact, "").deployment)
      throw std::runtime_error("the compact file does not read");
    compact_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t4).count());
    read_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    plan_ms.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
  }
  return {{"services", kServices},
          {"nodes", kNodes},
          {"file_bytes", file.size()},
          {"waves", waves},
          {"read_p50_ms", percentile(read_ms, 50)},
          {"read_p99_ms", percentile(read_ms, 99)},
          {"compact_file_bytes", compact.size()},
          {"compact_read_p50_ms", percentile(compact_ms, 50)},
          {"compact_read_p99_ms", percentile(compact_ms, 99)},
          {"plan_p50_ms", percentile(plan_ms, 50)},
          {"plan_p99_ms", percentile(plan_ms, 99)}};
}

}  // namespace ris::bench
