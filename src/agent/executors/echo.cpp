// echo: writes "message" to stdout and returns it as the result.
#include "agent/executors/builtin.hpp"

namespace ris::agent {
namespace {

class EchoExecutor final : public TaskExecutor {
 public:
  std::string_view type() const override { return "echo"; }
  RunOutcome run(const RunContext& run) const override {
    const std::string message = string_parameter(run.parameters, "message");
    run.emit("stdout", message);
    return {"succeeded", {{"exit_code", 0}, {"result", {{"echo", message}}}}};
  }
};

}  // namespace

std::unique_ptr<TaskExecutor> make_echo_executor() {
  return std::make_unique<EchoExecutor>();
}

}  // namespace ris::agent
