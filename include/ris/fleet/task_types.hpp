// The task types RIS knows, written once. risd checks a new task's parameters against this list
// (fleet/tasks.cpp); ris-agent registers one executor per type named here and checks the
// parameters again before running (src/agent/executor_registry.cpp). Both link this file through
// ris_fleet_protocol, so they cannot disagree on which types exist or what their parameters are.
//
// Adding a type: a row in task_types.cpp (name, needs, validator), an executor in
// src/agent/executors/, one line in src/agent/executors/builtin.cpp, and docs/agents.md.
#pragma once
#include <boost/json/object.hpp>
#include <span>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"

namespace ris::fleet {

struct TaskType {
  std::string_view name;
  // What an agent needs beyond itself to run the type ("" when nothing). A type with a need is
  // among an agent's capabilities only while the need is met (e.g. "docker": its daemon answers).
  std::string_view needs;
  // Checks the task's "parameters"; the message names the type and the offending field.
  Result<void> (*validate)(const boost::json::object& parameters);
};

// In the order they are listed to people: shell, http, docker, echo, ping.
std::span<const TaskType> task_types();
// nullptr when `name` is not a task type.
const TaskType* find_task_type(std::string_view name);
// "shell, http, docker, echo, ping": for messages that list the known types.
std::string task_type_names();
// The type's validator; an unknown type is refused with the list of known ones.
Result<void> validate_parameters(std::string_view type, const boost::json::object& parameters);

// Whether a docker action only reads (then RUN_TASKS suffices; others need MANAGE_SERVICES).
bool docker_action_read_only(std::string_view action);

}  // namespace ris::fleet
