// The SQL of tasks and their runs (tasks, task_runs, task_output): the only writer of run state.
// Portable SQL only: it runs unchanged on SQLite and PostgreSQL.
//
// A thin view over a Store: construct one where it is needed, over a transaction's Store inside
// a transaction or a group-commit body.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/cluster/duty.hpp"
#include "ris/core/result.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

struct TaskRecord {
  std::string id, space_id, created_by, created_at, type, spec_json, mode;
  std::optional<std::string> idempotency_key;
};

struct NewRun {
  std::string id, task_id, space_id, agent_id;
  std::string state;  // pending | dispatched
  std::string created_at;
  std::optional<std::string> dispatched_at, not_before;
  std::string pending_until;
  int64_t attempt = 1, priority = 0;
};

// What the task layer needs to decide on a finished run (retry, fail over).
struct RunContext {
  std::string mode, spec_json, space_id;
  int attempt = 1;
};

// Where a run's events go.
struct RunRoute {
  std::string task_id, space_id, agent_id;
};

struct RunFinal {
  std::string run_id, agent_id, state, finished_at;
  store::Value exit_code, signal;  // integer or NULL
  std::string error;
  store::Value result_json;  // text or NULL
};

enum class OutputWrite {
  stored,     // kept and counted
  counted,    // past the run's cap: counted, the run marked truncated
  duplicate,  // a chunk already stored (redelivery)
  ignored,    // no such run of this agent
};

// A pending run handed out to the agent holding it.
struct DueRun {
  std::string agent_id, run_id, task_id;
};

class RunRepository {
 public:
  explicit RunRepository(store::Store& store) : store_(store) {}

  // --- tasks (the task layer) ---
  // The task and its first runs, in one transaction.
  Result<void> create_task(const TaskRecord& task, const std::vector<NewRun>& runs);
  Result<std::optional<TaskRecord>> task(std::string_view id, std::string_view space_id);
  // The task submitted in `space_id` with `key`, if any.
  Result<std::optional<std::string>> task_with_key(std::string_view space_id, std::string_view key);
  Result<std::vector<Run>> runs_of(std::string_view task_id);  // by id
  // Newest first; with `agent_id`, the tasks that have a run on that agent.
  Result<std::vector<std::string>> task_ids(std::string_view space_id,
                                            const std::optional<std::string>& agent_id,
                                            int64_t limit);
  // Output chunks after `after_seq`, in order; nullopt when the space has no such run.
  Result<std::optional<std::vector<OutputChunk>>> output(std::string_view run_id,
                                                         std::string_view space_id,
                                                         int64_t after_seq, int64_t limit);
  // Active (pending, dispatched, running) runs per agent of the space.
  Result<std::map<std::string, int64_t>> active_per_agent(std::string_view space_id);
  Result<std::optional<RunContext>> context(std::string_view run_id);
  Result<int64_t> count_runs(std::string_view task_id, std::string_view agent_id);
  Result<void> insert_run(const NewRun& run);
  Result<void> cancel_pending(std::string_view task_id, const std::string& now);

  // --- dispatch (the gateway) ---
  // The task's type and stored spec (JSON text).
  // Tasks whose stored spec holds a sealed value (id, spec JSON), and a compare-and-set
  // rewrite of one: for re-sealing under a new master key.
  Result<std::vector<std::pair<std::string, std::string>>> specs_with_sealed_values();
  Result<void> replace_spec(const std::string& id, const std::string& was, const std::string& spec);
  Result<std::optional<std::pair<std::string, std::string>>> type_and_spec(
      std::string_view task_id);
  // The run's state and task id if the run is this agent's.
  Result<std::optional<std::pair<std::string, std::string>>> run_of_agent(
      std::string_view run_id, std::string_view agent_id);
  Result<void> mark_dispatched(std::string_view run_id, const std::string& now);
  // Runs due for the agent at `now` (retries wait for not_before), highest priority first:
  // every active one, or only the pending ones.
  Result<std::vector<std::string>> due_runs(std::string_view agent_id, const std::string& now,
                                            bool pending_only);
  Result<std::optional<RunRoute>> route(std::string_view run_id);

  // --- what agents report (the gateway) ---
  // pending/dispatched → running; false when the run was not in such a state.
  Result<bool> mark_running(std::string_view run_id, std::string_view agent_id,
                            const std::string& at);
  // Writes the final state once (a run presumed lost takes its true result); the task id when
  // this call wrote it, nullopt when the run was already final or is not the agent's.
  Result<std::optional<std::string>> finish(const RunFinal& f);
  // The same two writes as statements, for the group commit's batches of statements: a row
  // in the result means the run started (mark_running) or was finished with task id in column
  // 0 (finish).
  static store::Statement mark_running_statement(std::string_view run_id, std::string_view agent_id,
                                                 const std::string& at);
  static store::Statement finish_statement(const RunFinal& f);
  // Stores one chunk of output, keeping at most `cap` bytes per run (more is counted only).
  Result<OutputWrite> append_output(std::string_view run_id, std::string_view agent_id, int64_t seq,
                                    const std::string& stream, const std::string& data,
                                    int64_t cap);

  // --- the sweeper ---
  // An agent is held while its presence row names a server whose lease runs past `now`; runs
  // of held agents are never swept, whoever sweeps.
  // Agents with dispatched or running runs that nobody holds and that were last seen before
  // `seen_before`.
  Result<std::vector<std::string>> unheld_agents_with_active_runs(const std::string& now,
                                                                  const std::string& seen_before);
  // Ending runs is a duty of one server at a time (the sweeper duty): both writes below run in
  // a transaction that calls `fence` before it commits, so a server that lost the duty writes
  // nothing (Errc::conflict from the fence).
  // Marks lost the dispatched and running runs of `agent_id` if, in the same statement, it is
  // still unheld and unseen since `seen_before`.
  Result<std::vector<FinishedRun>> mark_lost(std::string_view agent_id, const std::string& now,
                                             const std::string& seen_before,
                                             const cluster::Fence& fence);
  // Marks lost the pending runs of unheld agents whose time to live ended before `now`.
  Result<std::vector<FinishedRun>> expire_pending(const std::string& now,
                                                  const cluster::Fence& fence);
  // The pending runs that are due (a retry whose back-off passed, or a run created by another
  // server) of agents held by `server_id`, at most `limit`, highest priority first.
  Result<std::vector<DueRun>> due_runs_held_by(std::string_view server_id, const std::string& now,
                                               int64_t limit);
  // Marks those of `runs` that are still pending dispatched, and returns them (in the order
  // given): what this call returns, no other call returns.
  Result<std::vector<DueRun>> take_pending(const std::vector<DueRun>& runs, const std::string& now);

 private:
  Result<std::vector<FinishedRun>> fenced_lost(const cluster::Fence& fence, const std::string& sql,
                                               std::vector<store::Value> params);

  store::Store& store_;
};

}  // namespace ris::fleet
