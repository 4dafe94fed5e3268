// ping: answers at once with the agent's clock; proves the round trip risd → agent → risd.
#include "agent/executors/builtin.hpp"
#include "ris/core/time.hpp"

namespace ris::agent {
namespace {

class PingExecutor final : public TaskExecutor {
 public:
  std::string_view type() const override { return "ping"; }
  RunOutcome run(const RunContext&) const override {
    return {"succeeded", {{"result", {{"pong", now_rfc3339()}}}}};
  }
};

}  // namespace

std::unique_ptr<TaskExecutor> make_ping_executor() {
  return std::make_unique<PingExecutor>();
}

}  // namespace ris::agent
