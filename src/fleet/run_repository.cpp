#include "run_repository.hpp"

#include "ris/security/secret_box.hpp"

#include <algorithm>
#include <unordered_set>

#include <boost/json/parse.hpp>

namespace ris::fleet {
namespace {
constexpr std::string_view kRunColumns =
    "id, task_id, agent_id, state, created_at, dispatched_at, started_at, finished_at, error, "
    "exit_code, signal, output_bytes, output_truncated, attempt, result";

std::optional<std::string> opt(const store::Row& r, const char* c) {
  return r.get_optional<std::string>(c);
}

store::Value value_of(const std::optional<std::string>& v) {
  return v ? store::Value(*v) : store::Value();
}

Run run_from_row(const store::Row& r) {
  Run run;
  run.id = r.get<std::string>("id");
  run.task_id = r.get<std::string>("task_id");
  run.agent_id = r.get<std::string>("agent_id");
  run.state = r.get<std::string>("state");
  run.created_at = r.get<std::string>("created_at");
  run.dispatched_at = opt(r, "dispatched_at");
  run.started_at = opt(r, "started_at");
  run.finished_at = opt(r, "finished_at");
  run.error = opt(r, "error");
  run.exit_code = r.get_optional<int64_t>("exit_code");
  run.signal = r.get_optional<int64_t>("signal");
  run.output_bytes = r.get<int64_t>("output_bytes");
  run.output_truncated = r.get<int64_t>("output_truncated") != 0;
  run.attempt = static_cast<int>(r.get<int64_t>("attempt"));
  if (auto text = opt(r, "result")) {
    boost::json::error_code ec;
    run.result = boost::json::parse(*text, ec);
  }
  return run;
}

std::vector<std::string> first_column(const store::QueryResult& rows) {
  std::vector<std::string> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(r.get<std::string>(0));
  return out;
}

Result<void> insert_run_in(store::Store& s, const NewRun& r) {
  RIS_TRY_VOID(s.query(
      "INSERT INTO task_runs (id, task_id, space_id, agent_id, state, created_at, dispatched_at, "
      "pending_until, not_before, attempt, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {r.id, r.task_id, r.space_id, r.agent_id, r.state, r.created_at, value_of(r.dispatched_at),
       r.pending_until, value_of(r.not_before), r.attempt, r.priority}));
  return {};
}
}  // namespace

// --- tasks ---

// The task and its runs in one batch: runs go in multi-row INSERTs of up to kRunsPerInsert
// (a fan-out to 10,000 agents is 20 statements, and on PostgreSQL one round trip).
Result<void> RunRepository::create_task(const TaskRecord& t, const std::vector<NewRun>& runs) {
  constexpr size_t kRunsPerInsert = 500;  // 5,500 parameters: under both engines' limits
  std::vector<store::Statement> batch;
  batch.push_back(
      {"INSERT INTO tasks (id, space_id, created_by, created_at, type, spec, mode, "
       "idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
       {t.id, t.space_id, t.created_by, t.created_at, t.type, t.spec_json, t.mode,
        value_of(t.idempotency_key)}});
  for (size_t from = 0; from < runs.size(); from += kRunsPerInsert) {
    const size_t to = std::min(runs.size(), from + kRunsPerInsert);
    store::Statement st{
        "INSERT INTO task_runs (id, task_id, space_id, agent_id, state, created_at, "
        "dispatched_at, pending_until, not_before, attempt, priority) VALUES ",
        {}};
    st.params.reserve((to - from) * 11);
    for (size_t i = from; i < to; ++i) {
      const NewRun& r = runs[i];
      st.sql +=
          i == from ? "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      for (store::Value v :
           {store::Value(r.id), store::Value(r.task_id), store::Value(r.space_id),
            store::Value(r.agent_id), store::Value(r.state), store::Value(r.created_at),
            value_of(r.dispatched_at), store::Value(r.pending_until), value_of(r.not_before),
            store::Value(r.attempt), store::Value(r.priority)})
        st.params.push_back(std::move(v));
    }
    batch.push_back(std::move(st));
  }
  RIS_TRY_VOID(store_.run_batch(batch));
  return {};
}

Result<std::optional<TaskRecord>> RunRepository::task(std::string_view id,
                                                      std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT id, space_id, created_by, created_at, type, spec, mode, "
                                  "idempotency_key FROM tasks WHERE id = ? AND space_id = ?",
                                  {std::string(id), std::string(space_id)}));
  if (rows.rows.empty())
    return std::optional<TaskRecord>();
  const auto& r = rows.rows[0];
  return std::optional<TaskRecord>(TaskRecord{
      r.get<std::string>("id"), r.get<std::string>("space_id"), r.get<std::string>("created_by"),
      r.get<std::string>("created_at"), r.get<std::string>("type"), r.get<std::string>("spec"),
      r.get<std::string>("mode"), opt(r, "idempotency_key")});
}

Result<std::optional<std::string>> RunRepository::task_with_key(std::string_view space_id,
                                                                std::string_view key) {
  RIS_TRY(auto rows, store_.query("SELECT id FROM tasks WHERE space_id = ? AND idempotency_key = ?",
                                  {std::string(space_id), std::string(key)}));
  if (rows.rows.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(rows.rows[0].get<std::string>(0));
}

Result<std::vector<Run>> RunRepository::runs_of(std::string_view task_id) {
  RIS_TRY(auto rows, store_.query("SELECT " + std::string(kRunColumns) +
                                      " FROM task_runs WHERE task_id = ? ORDER BY id",
                                  {std::string(task_id)}));
  std::vector<Run> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(run_from_row(r));
  return out;
}

Result<std::vector<std::string>> RunRepository::task_ids(std::string_view space_id,
                                                         const std::optional<std::string>& agent_id,
                                                         int64_t limit) {
  RIS_TRY(auto rows,
          agent_id
              ? store_.query("SELECT DISTINCT task_id FROM task_runs WHERE space_id = ? AND "
                             "agent_id = ? ORDER BY task_id DESC LIMIT ?",
                             {std::string(space_id), *agent_id, limit})
              : store_.query("SELECT id FROM tasks WHERE space_id = ? ORDER BY id DESC LIMIT ?",
                             {std::string(space_id), limit}));
  return first_column(rows);
}

Result<std::optional<std::vector<OutputChunk>>> RunRepository::output(std::string_view run_id,
                                                                      std::string_view space_id,
                                                                      int64_t after_seq,
                                                                      int64_t limit) {
  RIS_TRY(auto rows, store_.query("SELECT o.seq, o.stream, o.data FROM task_output o JOIN "
                                  "task_runs r ON r.id = o.run_id WHERE o.run_id = ? AND "
                                  "r.space_id = ? AND o.seq > ? ORDER BY o.seq LIMIT ?",
                                  {std::string(run_id), std::string(space_id), after_seq, limit}));
  std::vector<OutputChunk> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<int64_t>(0), r.get<std::string>(1), r.get<std::string>(2)});
  if (out.empty()) {
    RIS_TRY(auto exists, store_.query("SELECT 1 FROM task_runs WHERE id = ? AND space_id = ?",
                                      {std::string(run_id), std::string(space_id)}));
    if (exists.rows.empty())
      return std::optional<std::vector<OutputChunk>>();
  }
  return std::optional<std::vector<OutputChunk>>(std::move(out));
}

Result<std::map<std::string, int64_t>> RunRepository::active_per_agent(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT agent_id, COUNT(*) FROM task_runs WHERE space_id = ? "
                                  "AND state IN ('pending', 'dispatched', 'running') GROUP BY "
                                  "agent_id",
                                  {std::string(space_id)}));
  std::map<std::string, int64_t> out;
  for (const auto& r : rows.rows)
    out[r.get<std::string>(0)] = r.get<int64_t>(1);
  return out;
}

Result<std::optional<RunContext>> RunRepository::context(std::string_view run_id) {
  RIS_TRY(auto rows, store_.query("SELECT t.mode, t.spec, t.space_id, r.attempt FROM tasks t JOIN "
                                  "task_runs r ON r.task_id = t.id WHERE r.id = ?",
                                  {std::string(run_id)}));
  if (rows.rows.empty())
    return std::optional<RunContext>();
  const auto& r = rows.rows[0];
  return std::optional<RunContext>(RunContext{r.get<std::string>(0), r.get<std::string>(1),
                                              r.get<std::string>(2), r.get<int>(3)});
}

Result<int64_t> RunRepository::count_runs(std::string_view task_id, std::string_view agent_id) {
  RIS_TRY(auto rows, store_.query("SELECT COUNT(*) FROM task_runs WHERE task_id = ? AND "
                                  "agent_id = ?",
                                  {std::string(task_id), std::string(agent_id)}));
  return rows.rows.empty() ? 0 : rows.rows[0].get<int64_t>(0);
}

Result<void> RunRepository::insert_run(const NewRun& run) {
  return insert_run_in(store_, run);
}

Result<void> RunRepository::cancel_pending(std::string_view task_id, const std::string& now) {
  RIS_TRY_VOID(
      store_.query("UPDATE task_runs SET state = 'cancelled', finished_at = ? WHERE "
                   "task_id = ? AND state = 'pending'",
                   {now, std::string(task_id)}));
  return {};
}

// --- dispatch ---

Result<std::vector<std::pair<std::string, std::string>>> RunRepository::specs_with_sealed_values() {
  RIS_TRY(auto q, store_.query("SELECT id, spec FROM tasks WHERE spec LIKE ?",
                               {"%" + std::string(security::kSealedPrefix) + "%"}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : q.rows)
    out.emplace_back(r.get<std::string>("id"), r.get<std::string>("spec"));
  return out;
}

Result<void> RunRepository::replace_spec(const std::string& id, const std::string& was,
                                         const std::string& spec) {
  RIS_TRY_VOID(
      store_.query("UPDATE tasks SET spec = ? WHERE id = ? AND spec = ?", {spec, id, was}));
  return {};
}

Result<std::optional<std::pair<std::string, std::string>>> RunRepository::type_and_spec(
    std::string_view task_id) {
  RIS_TRY(auto rows,
          store_.query("SELECT type, spec FROM tasks WHERE id = ?", {std::string(task_id)}));
  if (rows.rows.empty())
    return std::optional<std::pair<std::string, std::string>>();
  return std::optional<std::pair<std::string, std::string>>(
      std::pair{rows.rows[0].get<std::string>(0), rows.rows[0].get<std::string>(1)});
}

Result<std::optional<std::pair<std::string, std::string>>> RunRepository::run_of_agent(
    std::string_view run_id, std::string_view agent_id) {
  RIS_TRY(auto rows, store_.query("SELECT state, task_id FROM task_runs WHERE id = ? AND "
                                  "agent_id = ?",
                                  {std::string(run_id), std::string(agent_id)}));
  if (rows.rows.empty())
    return std::optional<std::pair<std::string, std::string>>();
  return std::optional<std::pair<std::string, std::string>>(
      std::pair{rows.rows[0].get<std::string>(0), rows.rows[0].get<std::string>(1)});
}

Result<void> RunRepository::mark_dispatched(std::string_view run_id, const std::string& now) {
  RIS_TRY_VOID(
      store_.query("UPDATE task_runs SET state = 'dispatched', dispatched_at = ? WHERE "
                   "id = ? AND state = 'pending'",
                   {now, std::string(run_id)}));
  return {};
}

Result<std::vector<std::string>> RunRepository::due_runs(std::string_view agent_id,
                                                         const std::string& now,
                                                         bool pending_only) {
  RIS_TRY(auto rows,
          store_.query(pending_only
                           ? "SELECT id FROM task_runs WHERE agent_id = ? AND state = 'pending' "
                             "AND (not_before IS NULL OR not_before <= ?) ORDER BY priority DESC, "
                             "id"
                           : "SELECT id FROM task_runs WHERE agent_id = ? AND state IN "
                             "('pending', 'dispatched', 'running') AND (not_before IS NULL OR "
                             "not_before <= ?) ORDER BY priority DESC, id",
                       {std::string(agent_id), now}));
  return first_column(rows);
}

Result<std::optional<RunRoute>> RunRepository::route(std::string_view run_id) {
  RIS_TRY(auto rows, store_.query("SELECT task_id, space_id, agent_id FROM task_runs WHERE id = ?",
                                  {std::string(run_id)}));
  if (rows.rows.empty())
    return std::optional<RunRoute>();
  const auto& r = rows.rows[0];
  return std::optional<RunRoute>(
      RunRoute{r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)});
}

// --- what agents report ---

store::Statement RunRepository::mark_running_statement(std::string_view run_id,
                                                       std::string_view agent_id,
                                                       const std::string& at) {
  return {
      "UPDATE task_runs SET state = 'running', started_at = ? WHERE id = ? AND agent_id = ? "
      "AND state IN ('pending', 'dispatched') RETURNING id",
      {at, std::string(run_id), std::string(agent_id)}};
}

Result<bool> RunRepository::mark_running(std::string_view run_id, std::string_view agent_id,
                                         const std::string& at) {
  auto st = mark_running_statement(run_id, agent_id, at);
  RIS_TRY(auto rows, store_.query(st.sql, std::move(st.params)));
  return !rows.rows.empty();
}

store::Statement RunRepository::finish_statement(const RunFinal& f) {
  return {
      "UPDATE task_runs SET state = ?, finished_at = ?, exit_code = ?, signal = ?, error = ?, "
      "result = ? WHERE id = ? AND agent_id = ? AND state IN ('pending', 'dispatched', "
      "'running', 'lost') RETURNING task_id",
      {f.state, f.finished_at, f.exit_code, f.signal, f.error, f.result_json, f.run_id,
       f.agent_id}};
}

Result<std::optional<std::string>> RunRepository::finish(const RunFinal& f) {
  auto st = finish_statement(f);
  RIS_TRY(auto rows, store_.query(st.sql, std::move(st.params)));
  if (rows.rows.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(rows.rows[0].get<std::string>(0));
}

Result<OutputWrite> RunRepository::append_output(std::string_view run_id, std::string_view agent_id,
                                                 int64_t seq, const std::string& stream,
                                                 const std::string& data, int64_t cap) {
  const std::string run(run_id), agent(agent_id);
  OutputWrite outcome = OutputWrite::ignored;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    outcome = OutputWrite::ignored;  // the body may run again (a retried transaction)
    RIS_TRY(auto rows, tx.query("SELECT output_bytes FROM task_runs WHERE id = ? AND agent_id = ?",
                                {run, agent}));
    if (rows.rows.empty())
      return {};
    const bool keep = rows.rows[0].get<int64_t>(0) < cap;
    if (keep) {
      RIS_TRY(auto ins, tx.query("INSERT INTO task_output (run_id, seq, stream, data) VALUES (?, "
                                 "?, ?, ?) ON CONFLICT (run_id, seq) DO NOTHING RETURNING seq",
                                 {run, seq, stream, data}));
      if (ins.rows.empty()) {
        outcome = OutputWrite::duplicate;
        return {};
      }
    }
    RIS_TRY_VOID(tx.query(keep ? "UPDATE task_runs SET output_bytes = output_bytes + ? WHERE id = ?"
                               : "UPDATE task_runs SET output_bytes = output_bytes + ?, "
                                 "output_truncated = 1 WHERE id = ?",
                          {static_cast<int64_t>(data.size()), run}));
    outcome = keep ? OutputWrite::stored : OutputWrite::counted;
    return {};
  }));
  return outcome;
}

// --- the sweeper ---

namespace {
// `task_runs.agent_id` has no live server's session; the parameter is now.
constexpr std::string_view kUnheld =
    "NOT EXISTS (SELECT 1 FROM agent_presence p JOIN servers s ON s.id = p.server_id WHERE "
    "p.agent_id = task_runs.agent_id AND s.lease_until > ?)";

std::vector<FinishedRun> finished_lost(const store::QueryResult& rows) {
  std::vector<FinishedRun> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2), "lost"});
  return out;
}
}  // namespace

Result<std::vector<std::string>> RunRepository::unheld_agents_with_active_runs(
    const std::string& now, const std::string& seen_before) {
  RIS_TRY(auto rows,
          store_.query("SELECT DISTINCT task_runs.agent_id FROM task_runs JOIN agents a ON a.id = "
                       "task_runs.agent_id WHERE task_runs.state IN ('dispatched', 'running') AND "
                       "a.last_seen < ? AND " +
                           std::string(kUnheld) + " ORDER BY task_runs.agent_id",
                       {seen_before, now}));
  return first_column(rows);
}

Result<std::vector<FinishedRun>> RunRepository::mark_lost(std::string_view agent_id,
                                                          const std::string& now,
                                                          const std::string& seen_before,
                                                          const cluster::Fence& fence) {
  return fenced_lost(
      fence,
      "UPDATE task_runs SET state = 'lost', finished_at = ?, error = 'the agent disconnected and "
      "did not come back in time' WHERE agent_id = ? AND state IN ('dispatched', 'running') AND "
      "EXISTS (SELECT 1 FROM agents a WHERE a.id = task_runs.agent_id AND a.last_seen < ?) AND " +
          std::string(kUnheld) + " RETURNING id, task_id, agent_id",
      {now, std::string(agent_id), seen_before, now});
}

Result<std::vector<FinishedRun>> RunRepository::expire_pending(const std::string& now,
                                                               const cluster::Fence& fence) {
  return fenced_lost(fence,
                     "UPDATE task_runs SET state = 'lost', finished_at = ?, error = 'the agent "
                     "stayed offline past the task''s time to live' WHERE state = 'pending' AND "
                     "pending_until < ? AND " +
                         std::string(kUnheld) + " RETURNING id, task_id, agent_id",
                     {now, now, now});
}

// The statement and the fence in one transaction. The fence runs after the statement, only
// when it changed something (else there is nothing to roll back, and the sweep's usual round
// writes nothing at all): anywhere before the commit is as good, since it holds the duty's row
// lock until then and a take-over that committed meanwhile makes it fail.
Result<std::vector<FinishedRun>> RunRepository::fenced_lost(const cluster::Fence& fence,
                                                            const std::string& sql,
                                                            std::vector<store::Value> params) {
  std::vector<FinishedRun> out;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    out.clear();  // the body may run again (a retried transaction)
    RIS_TRY(auto rows, tx.query(sql, params));
    if (rows.rows.empty())
      return {};
    RIS_TRY_VOID(fence(tx));
    out = finished_lost(rows);
    return {};
  }));
  return out;
}

Result<std::vector<DueRun>> RunRepository::due_runs_held_by(std::string_view server_id,
                                                            const std::string& now, int64_t limit) {
  RIS_TRY(auto rows,
          store_.query("SELECT r.agent_id, r.id, r.task_id FROM task_runs r JOIN agent_presence p "
                       "ON p.agent_id = r.agent_id WHERE r.state = 'pending' AND (r.not_before IS "
                       "NULL OR r.not_before <= ?) AND p.server_id = ? ORDER BY r.priority DESC, "
                       "r.id LIMIT ?",
                       {now, std::string(server_id), limit}));
  std::vector<DueRun> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)});
  return out;
}

Result<std::vector<DueRun>> RunRepository::take_pending(const std::vector<DueRun>& runs,
                                                        const std::string& now) {
  std::unordered_set<std::string> taken;
  for (size_t from = 0; from < runs.size(); from += store::kMaxInList) {
    const size_t to = std::min(runs.size(), from + store::kMaxInList);
    const std::string sql =
        "UPDATE task_runs SET state = 'dispatched', dispatched_at = ? WHERE state = 'pending' AND "
        "id IN (" +
        store::placeholders(to - from) + ") RETURNING id";
    std::vector<store::Value> params{now};
    for (size_t i = from; i < to; ++i)
      params.emplace_back(runs[i].run_id);
    RIS_TRY(auto rows, store_.query(sql, std::move(params)));
    for (const auto& r : rows.rows)
      taken.insert(r.get<std::string>(0));
  }
  std::vector<DueRun> out;  // in the order given (RETURNING has none)
  for (const auto& r : runs)
    if (taken.count(r.run_id))
      out.push_back(r);
  return out;
}

}  // namespace ris::fleet
