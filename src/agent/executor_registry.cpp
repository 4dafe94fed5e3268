#include "agent/executor_registry.hpp"

#include "ris/fleet/task_types.hpp"

namespace ris::agent {

Result<void> ExecutorRegistry::add(std::unique_ptr<TaskExecutor> executor) {
  const std::string type(executor->type());
  if (!fleet::find_task_type(type))
    return fail(Errc::invalid_argument, "no executor for \"" + type + "\": not a task type (" +
                                            fleet::task_type_names() + ")");
  if (find(type))
    return fail(Errc::conflict, "an executor for \"" + type + "\" is registered already");
  executors_.push_back(std::move(executor));
  return {};
}

const TaskExecutor* ExecutorRegistry::find(std::string_view type) const {
  for (const auto& e : executors_)
    if (e->type() == type)
      return e.get();
  return nullptr;
}

boost::json::array ExecutorRegistry::capabilities() const {
  boost::json::array caps;
  for (const auto& e : executors_)
    if (e->available())
      caps.emplace_back(e->type());
  return caps;
}

std::vector<std::string_view> ExecutorRegistry::types() const {
  std::vector<std::string_view> out;
  for (const auto& e : executors_)
    out.push_back(e->type());
  return out;
}

RunOutcome ExecutorRegistry::run(std::string_view type, const RunContext& run) const {
  const auto* executor = find(type);
  if (!executor)
    return RunOutcome::failed("this agent cannot run tasks of type \"" + std::string(type) + "\"");
  if (auto valid = fleet::validate_parameters(type, run.parameters); !valid)
    return RunOutcome::failed(valid.error().message);
  return executor->run(run);
}

}  // namespace ris::agent
