// Deployment files as risctl and (soon) risd read them: any bytes give either a deployment or
// diagnostics, never both, never neither; a deployment read is planned (every service in
// exactly one wave) and its plan is the same when planned again.
#include <cstdint>
#include <set>
#include <string_view>

#include "ris/deploy/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view env : {"", "prod"}) {
    const auto r = ris::deploy::read_deployment(text, env);
    if (r.deployment.has_value() == !r.diagnostics.empty())
      __builtin_trap();  // a deployment comes with no problems, problems with no deployment
    (void)ris::deploy::format_diagnostics("f", r.diagnostics);
    if (!r.deployment)
      continue;
    const auto plan = ris::deploy::make_plan(*r.deployment, {});
    std::set<std::string> seen;
    for (const auto& wave : plan.waves)
      for (const auto& step : wave)
        if (!seen.insert(step.service).second)
          __builtin_trap();
    if (seen.size() != r.deployment->services.size() ||
        ris::deploy::make_plan(*r.deployment, {}).hash != plan.hash)
      __builtin_trap();
  }
  return 0;
}
