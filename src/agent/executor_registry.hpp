// The agent's executors by task type, built once at start (executors/builtin.hpp). It answers
// the agent's two questions: which task types can this host run (hello's capabilities), and
// how to run a task_execution of a given type — refusing unknown types and bad parameters with
// the same shared validator risd used (fleet/task_types.hpp), in case a server disagrees.
#pragma once
#include <boost/json/array.hpp>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/executor.hpp"
#include "ris/core/result.hpp"

namespace ris::agent {

class ExecutorRegistry {
 public:
  // Refuses a type that is not in fleet::task_types() (risd would never send it) or that has an
  // executor already.
  Result<void> add(std::unique_ptr<TaskExecutor> executor);
  // nullptr when no executor runs `type`.
  const TaskExecutor* find(std::string_view type) const;
  // The registered types whose executor is available now, in registration order.
  boost::json::array capabilities() const;
  std::vector<std::string_view> types() const;

  // Runs `type` with `run.parameters`: an unregistered type or parameters the shared validator
  // refuses end the run as failed with a message saying why.
  RunOutcome run(std::string_view type, const RunContext& run) const;

 private:
  std::vector<std::unique_ptr<TaskExecutor>> executors_;
};

}  // namespace ris::agent
