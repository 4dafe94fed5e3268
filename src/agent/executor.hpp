// A task type's executor on the agent: what runs one run of a task of that type. Each type of
// fleet::task_types() has one (src/agent/executors/), registered by name in an ExecutorRegistry
// that the agent builds at start; the agent never switches on the type itself.
//
// An executor is called on a runner thread with parameters already checked by the shared
// validator. It streams output through the context, watches the cancel flag, and returns the
// run's outcome, which the agent reports to risd once.
#pragma once
#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ris/agent/shell.hpp"

namespace ris::agent {

struct RunContext {
  std::string run_id;
  boost::json::object parameters;
  std::optional<std::chrono::seconds> timeout;  // the task's timeout_seconds, when it gave one
  OutputSink emit;                              // ("stdout" | "stderr", bytes), any size
  const CancelFlag& cancel;
};

// What the agent reports in task_result: a status (succeeded, failed, timed_out, cancelled) and
// the payload's other fields (exit_code, signal, result, error).
struct RunOutcome {
  std::string status;
  boost::json::object extra;

  static RunOutcome failed(std::string error) { return {"failed", {{"error", std::move(error)}}}; }
};

class TaskExecutor {
 public:
  virtual ~TaskExecutor() = default;
  // The task type it runs: a name from fleet::task_types().
  virtual std::string_view type() const = 0;
  // Whether this host can run the type now (the type's `needs` met). Asked when the agent says
  // hello, to list its capabilities; may take a moment (Docker is asked).
  virtual bool available() const { return true; }
  // Blocking; called on a runner thread, possibly on several at once.
  virtual RunOutcome run(const RunContext& run) const = 0;
};

// A string parameter, or "" when absent (the validator has refused other types already).
inline std::string string_parameter(const boost::json::object& p, std::string_view key) {
  const auto* v = p.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace ris::agent
