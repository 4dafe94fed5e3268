// Remote tasks: a task is what a person asked for (type, parameters, target, options); a run is
// one execution of it on one agent. Mode "all" makes a run per matching agent; mode "one" places
// a single run on the least busy connected agent and, if that agent is lost, on another.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/fleet/agents.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/identity/access.hpp"

namespace ris::fleet {

inline constexpr int kMaxFailoverAttempts = 3;

struct Run {
  std::string id, task_id, agent_id, state, created_at;
  std::optional<std::string> dispatched_at, started_at, finished_at, error;
  std::optional<int64_t> exit_code, signal;
  int64_t output_bytes = 0;
  bool output_truncated = false;
  int attempt = 1;
  boost::json::value result;
};

struct Task {
  std::string id, space_id, created_by, created_at, type, mode;
  std::optional<std::string> idempotency_key;
  boost::json::object spec;  // secrets masked
  std::vector<Run> runs;
};

// How a task is submitted: what the caller must be allowed, and an idempotency key (a repeated
// submission with the same key in the same space returns the task the first one made).
struct Submission {
  identity::Permissions needed = identity::kRunTasks | identity::kViewAgents;
  std::optional<std::string> idempotency_key;
};

struct Submitted {
  Task task;
  bool replayed = false;  // the key had been used: `task` is the one made then
};

struct OutputChunk {
  int64_t seq = 0;
  std::string stream, data;
};

class Tasks {
 public:
  Tasks(store::Store& store, Agents& agents, Gateway& gateway);
  // Body: {"type", "parameters", "target": {"agents": [...]} | {"selector": "..."} | {"all": true},
  //        "mode": "all"|"one", "timeout_seconds", "ttl_seconds", "retries",
  //        "retry_delay_seconds", "priority"}. Needs RUN_TASKS.
  Result<Submitted> submit(const identity::SpaceAccess& access, const boost::json::object& body,
                           const Submission& how);
  Result<Task> create(const identity::SpaceAccess& access, const boost::json::object& body,
                      identity::Permissions needed = identity::kRunTasks | identity::kViewAgents);
  Result<Task> get(const identity::SpaceAccess& access, std::string_view id);
  // Newest first; filters: state of any run, agent id.
  Result<std::vector<Task>> list(const identity::SpaceAccess& access,
                                 std::optional<std::string> agent_id, int limit);
  Result<std::vector<OutputChunk>> output(const identity::SpaceAccess& access,
                                          std::string_view run_id, int64_t after_seq);
  Result<Task> cancel(const identity::SpaceAccess& access, std::string_view id);

  // For `risd admin rotate-master-key`: re-seals the sealed env values (kTaskEnvContext) of
  // stored tasks not under `box`'s current key. Returns how many tasks it rewrote.
  static Result<int> reseal_env(store::Store& store, const security::SecretBox& box);

 private:
  Result<Submitted> replay(const identity::SpaceAccess& access, std::string_view key);
  void after_run(const FinishedRun& finished);
  void fail_over(const FinishedRun& lost, const boost::json::object& spec, const std::string& space,
                 int attempt);
  void retry(const FinishedRun& failed, const boost::json::object& spec, const std::string& space);
  store::Store& store_;
  Agents& agents_;
  Gateway& gateway_;
};

Result<void> validate_task_type(std::string_view type, const boost::json::object& parameters);
// Whether a docker task changes containers or images (then MANAGE_SERVICES is needed too).
bool docker_action_changes_containers(const boost::json::object& parameters);

}  // namespace ris::fleet
