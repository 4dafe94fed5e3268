// shell: argv or a script through run_shell (ris/agent/shell.hpp), bounded by the task's timeout.
#include "ris/agent/shell.hpp"
#include "agent/executors/builtin.hpp"

namespace ris::agent {
namespace {

class ShellExecutor final : public TaskExecutor {
 public:
  std::string_view type() const override { return "shell"; }
  RunOutcome run(const RunContext& run) const override {
    const auto& p = run.parameters;
    ShellSpec spec;
    if (const auto* argv = p.if_contains("argv"); argv && argv->is_array())
      for (const auto& a : argv->as_array())
        if (a.is_string())
          spec.argv.emplace_back(a.as_string());
    spec.script = string_parameter(p, "script");
    if (const auto* env = p.if_contains("env"); env && env->is_object())
      for (const auto& [k, v] : env->as_object())
        if (v.is_string())
          spec.env.emplace_back(std::string(k), std::string(v.as_string()));
    spec.working_directory = string_parameter(p, "working_directory");
    spec.user = string_parameter(p, "user");
    spec.stdin_data = string_parameter(p, "stdin");
    if (run.timeout)
      spec.timeout = *run.timeout;
    auto r = run_shell(spec, run.emit, run.cancel);
    if (!r)
      return RunOutcome::failed(r.error().message);
    boost::json::object extra;
    if (r->exit_code)
      extra["exit_code"] = *r->exit_code;
    if (r->signal)
      extra["signal"] = *r->signal;
    const std::string status = r->cancelled        ? "cancelled"
                               : r->timed_out      ? "timed_out"
                               : r->exit_code == 0 ? "succeeded"
                                                   : "failed";
    return {status, std::move(extra)};
  }
};

}  // namespace

std::unique_ptr<TaskExecutor> make_shell_executor() {
  return std::make_unique<ShellExecutor>();
}

}  // namespace ris::agent
