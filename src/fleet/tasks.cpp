#include "ris/fleet/tasks.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <set>

#include "ris/core/ids.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/fleet/task_types.hpp"
#include "ris/identity/audit.hpp"
#include "ris/security/secret_box.hpp"
#include "run_repository.hpp"

namespace ris::fleet {
namespace {
constexpr int64_t kDefaultTimeout = 300, kMaxTimeout = 7 * 24 * 3600;
constexpr int64_t kDefaultTtl = 3600, kMaxTtl = 7 * 24 * 3600;
int64_t int_or(const boost::json::object& o, std::string_view k, int64_t fallback) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

std::string rfc3339_in(int64_t seconds) {
  return to_rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}
}  // namespace

bool docker_action_changes_containers(const boost::json::object& p) {
  const auto* a = p.if_contains("action");
  return a && a->is_string() && !docker_action_read_only(a->as_string());
}

// The checks themselves live with the list of task types, shared with the agent.
Result<void> validate_task_type(std::string_view type, const boost::json::object& p) {
  return validate_parameters(type, p);
}

Tasks::Tasks(store::Store& store, Agents& agents, Gateway& gateway)
    : store_(store), agents_(agents), gateway_(gateway) {
  gateway_.on_finished([this](const FinishedRun& f) { after_run(f); });
}

Result<Task> Tasks::create(const identity::SpaceAccess& access, const boost::json::object& body,
                           identity::Permissions needed) {
  RIS_TRY(auto submitted, submit(access, body, Submission{needed, std::nullopt}));
  return std::move(submitted.task);
}

// The task an earlier submission with `key` made (Errc::not_found: none).
Result<Submitted> Tasks::replay(const identity::SpaceAccess& access, std::string_view key) {
  RIS_TRY(auto id, RunRepository(store_).task_with_key(access.space_id, key));
  if (!id)
    return fail(Errc::not_found, "no task with this idempotency key");
  RIS_TRY(auto task, get(access, *id));
  return Submitted{std::move(task), true};
}

Result<Submitted> Tasks::submit(const identity::SpaceAccess& access,
                                const boost::json::object& body, const Submission& how) {
  const identity::Permissions needed = how.needed;
  RIS_TRY_VOID(identity::require(access, needed));
  if (how.idempotency_key) {
    if (how.idempotency_key->empty() || how.idempotency_key->size() > 255)
      return fail(Errc::invalid_argument, "an idempotency key has 1 to 255 characters");
    if (auto earlier = replay(access, *how.idempotency_key))
      return earlier;
    else if (earlier.error().code != Errc::not_found)
      return fail(earlier.error());
  }
  const auto* type_v = body.if_contains("type");
  if (!type_v || !type_v->is_string())
    return fail(Errc::invalid_argument, "\"type\" is required (" + task_type_names() + ")");
  std::string type(type_v->as_string());
  boost::json::object parameters;
  if (const auto* p = body.if_contains("parameters")) {
    if (!p->is_object())
      return fail(Errc::invalid_argument, "\"parameters\" must be an object");
    parameters = p->as_object();
  }
  // Seed 000's wire shape: {"task_type": "docker_management", "action": ..., "parameters": ...}.
  if (type == "docker_management") {
    type = "docker";
    if (const auto* a = body.if_contains("action"); a && !parameters.contains("action"))
      parameters["action"] = *a;
  }
  RIS_TRY_VOID(validate_task_type(type, parameters));
  if (type == "docker" && docker_action_changes_containers(parameters))
    RIS_TRY_VOID(identity::require(access, identity::kManageServices));
  std::string mode = "all";
  if (const auto* m = body.if_contains("mode"); m && m->is_string())
    mode = std::string(m->as_string());
  if (mode != "all" && mode != "one")
    return fail(Errc::invalid_argument, "\"mode\" must be all or one");
  const int64_t timeout = int_or(body, "timeout_seconds", kDefaultTimeout);
  const int64_t ttl = int_or(body, "ttl_seconds", kDefaultTtl);
  if (timeout < 1 || timeout > kMaxTimeout)
    return fail(Errc::invalid_argument, "timeout_seconds must be between 1 and 604800");
  if (ttl < 1 || ttl > kMaxTtl)
    return fail(Errc::invalid_argument, "ttl_seconds must be between 1 and 604800");
  const int64_t retries = int_or(body, "retries", 0);
  const int64_t retry_delay = int_or(body, "retry_delay_seconds", 5);
  const int64_t priority = int_or(body, "priority", 0);
  if (retries < 0 || retries > 10)
    return fail(Errc::invalid_argument, "retries must be between 0 and 10");
  if (retry_delay < 1 || retry_delay > 3600)
    return fail(Errc::invalid_argument, "retry_delay_seconds must be between 1 and 3600");
  if (priority < -100 || priority > 100)
    return fail(Errc::invalid_argument, "priority must be between -100 and 100");

  // Resolve the target to agents of this space; ids from elsewhere are simply unknown here.
  const auto* target = body.if_contains("target");
  if (!target || !target->is_object())
    return fail(
        Errc::invalid_argument,
        "\"target\" is required: {\"agents\": [...]}, {\"selector\": \"...\"} or {\"all\": true}");
  std::vector<Agent> agents;
  const auto& t = target->as_object();
  if (const auto* ids = t.if_contains("agents"); ids && ids->is_array()) {
    // Read in chunks (a fan-out by ids lists thousands), kept in the order given.
    std::vector<std::string> wanted;
    std::set<std::string> seen;
    for (const auto& id : ids->as_array())
      if (id.is_string() && seen.insert(std::string(id.as_string())).second)
        wanted.emplace_back(id.as_string());
    RIS_TRY(auto found, agents_.get_many(access, wanted));
    std::map<std::string, Agent, std::less<>> by_id;
    for (auto& a : found)
      by_id.emplace(a.id, std::move(a));
    for (const auto& id : wanted) {
      auto it = by_id.find(id);
      if (it == by_id.end())
        return fail(Errc::not_found, "no such agent");
      agents.push_back(std::move(it->second));
    }
  } else if (const auto* sel = t.if_contains("selector"); sel && sel->is_string()) {
    RIS_TRY(auto selector, parse_selector(sel->as_string()));
    RIS_TRY(agents, agents_.list(access, selector));
  } else if (const auto* all = t.if_contains("all"); all && all->is_bool() && all->as_bool()) {
    RIS_TRY(agents, agents_.list(access, Selector{}));
  } else {
    return fail(Errc::invalid_argument,
                "\"target\" needs \"agents\", \"selector\" or \"all\": true");
  }
  std::erase_if(agents, [](const Agent& a) { return a.revoked; });
  if (agents.empty())
    return fail(Errc::invalid_argument, "no agent matches the target");
  if (mode == "one") {
    // Least busy online agent (connected to any server); an offline one only when none is.
    auto busy = RunRepository(store_)
                    .active_per_agent(access.space_id)
                    .value_or(std::map<std::string, int64_t>{});
    std::stable_sort(agents.begin(), agents.end(), [&](const Agent& a, const Agent& b) {
      const bool ca = a.online, cb = b.online;
      if (ca != cb)
        return ca;
      return busy[a.id] < busy[b.id];
    });
    agents.resize(1);
  }

  Task task;
  task.id = new_id();
  task.space_id = access.space_id;
  task.created_by = access.member.account_id;
  task.created_at = now_rfc3339();
  task.type = type;
  task.mode = mode;
  task.idempotency_key = how.idempotency_key;
  task.spec = {{"parameters", parameters},   {"target", t},
               {"timeout_seconds", timeout}, {"ttl_seconds", ttl},
               {"retries", retries},         {"retry_delay_seconds", retry_delay},
               {"priority", priority}};
  const std::string pending_until = rfc3339_in(ttl);
  // Runs for connected agents are stored as dispatched and sent straight away; the others wait
  // as pending for their agent's reconnect (which redelivers both kinds).
  std::vector<NewRun> runs;
  runs.reserve(agents.size());
  for (const auto& a : agents) {
    const bool connected = gateway_.connected(a.id);
    NewRun r;
    r.id = new_id();
    r.task_id = task.id;
    r.space_id = task.space_id;
    r.agent_id = a.id;
    r.state = connected ? "dispatched" : "pending";
    r.created_at = task.created_at;
    if (connected)
      r.dispatched_at = task.created_at;
    r.pending_until = pending_until;
    r.priority = priority;
    runs.push_back(std::move(r));
  }
  auto stored = RunRepository(store_).create_task(
      {task.id, task.space_id, task.created_by, task.created_at, type,
       boost::json::serialize(task.spec), mode, task.idempotency_key},
      runs);
  // Two submissions with one key at once: the one that lost the insert answers with the other's.
  if (!stored && stored.error().code == Errc::conflict && how.idempotency_key)
    return replay(access, *how.idempotency_key);
  RIS_TRY_VOID(stored);
  gateway_.publish_change(task.space_id, "tasks", task.id, {{"event", "created"}});
  for (const auto& r : runs) {
    if (r.state == "dispatched")
      gateway_.send_new_run(r.agent_id, r.id, task.id);
    else
      gateway_.dispatch_pending(r.agent_id);  // in case it connected meanwhile
  }
  RIS_TRY(auto made, get(access, task.id));
  return Submitted{std::move(made), false};
}

Result<Task> Tasks::get(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RunRepository repo(store_);
  RIS_TRY(auto record, repo.task(id, access.space_id));
  if (!record)
    return fail(Errc::not_found, "no such task");
  Task t;
  t.id = record->id;
  t.space_id = record->space_id;
  t.created_by = record->created_by;
  t.created_at = record->created_at;
  t.type = record->type;
  t.mode = record->mode;
  t.idempotency_key = record->idempotency_key;
  boost::json::error_code ec;
  auto spec = boost::json::parse(record->spec_json, ec);
  if (!ec && spec.is_object())
    t.spec = identity::mask_secrets(spec.as_object());
  RIS_TRY(t.runs, repo.runs_of(t.id));
  return t;
}

Result<std::vector<Task>> Tasks::list(const identity::SpaceAccess& access,
                                      std::optional<std::string> agent_id, int limit) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  limit = std::clamp(limit, 1, 200);
  RIS_TRY(auto ids, RunRepository(store_).task_ids(access.space_id, agent_id, int64_t{limit}));
  std::vector<Task> out;
  for (const auto& id : ids) {
    RIS_TRY(auto t, get(access, id));
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<OutputChunk>> Tasks::output(const identity::SpaceAccess& access,
                                               std::string_view run_id, int64_t after_seq) {
  RIS_TRY_VOID(identity::require(access, identity::kViewAgents));
  RIS_TRY(auto chunks, RunRepository(store_).output(run_id, access.space_id, after_seq, 10000));
  if (!chunks)
    return fail(Errc::not_found, "no such run");
  return std::move(*chunks);
}

Result<Task> Tasks::cancel(const identity::SpaceAccess& access, std::string_view id) {
  RIS_TRY_VOID(identity::require(access, identity::kRunTasks));
  RIS_TRY(auto task, get(access, id));
  RIS_TRY_VOID(RunRepository(store_).cancel_pending(task.id, now_rfc3339()));
  for (const auto& r : task.runs)
    if (r.state == "dispatched" || r.state == "running")
      gateway_.cancel(r.agent_id, r.id);
  gateway_.publish_change(task.space_id, "tasks", task.id, {{"event", "cancelled"}});
  return get(access, id);
}

void Tasks::after_run(const FinishedRun& f) {
  if (f.state == "succeeded" || f.state == "cancelled")
    return;
  auto context = RunRepository(store_).context(f.run_id);
  if (!context || !*context)
    return;
  const RunContext& c = **context;
  boost::json::error_code ec;
  auto spec = boost::json::parse(c.spec_json, ec);
  if (ec || !spec.is_object())
    return;
  if (c.mode == "one" && f.state == "lost")
    fail_over(f, spec.as_object(), c.space_id, c.attempt);
  else
    retry(f, spec.as_object(), c.space_id);
}

// A failed, timed-out or lost run is tried again on the same agent after a back-off that
// doubles (retry_delay_seconds, 2×, 4× …), up to `retries` more times.
void Tasks::retry(const FinishedRun& f, const boost::json::object& spec, const std::string& space) {
  const int64_t retries = int_or(spec, "retries", 0);
  if (retries <= 0)
    return;
  RunRepository repo(store_);
  auto count = repo.count_runs(f.task_id, f.agent_id);
  if (!count)
    return;
  const int64_t attempts = *count;
  if (attempts > retries)
    return;
  const int64_t delay = std::min<int64_t>(
      int_or(spec, "retry_delay_seconds", 5) << std::min<int64_t>(attempts - 1, 10), 3600);
  const int64_t ttl = int_or(spec, "ttl_seconds", kDefaultTtl);
  NewRun run;
  run.id = new_id();
  run.task_id = f.task_id;
  run.space_id = space;
  run.agent_id = f.agent_id;
  run.state = "pending";
  run.created_at = now_rfc3339();
  run.pending_until = rfc3339_in(delay + ttl);
  run.not_before = rfc3339_in(delay);
  run.attempt = attempts + 1;
  run.priority = int_or(spec, "priority", 0);
  auto ins = repo.insert_run(run);
  if (ins)
    log::info("run_retry_scheduled", {{"task", f.task_id},
                                      {"agent", f.agent_id},
                                      {"attempt", attempts + 1},
                                      {"delay_s", delay}});
}

// Mode one: a lost run moves to another connected agent that matches the target.
void Tasks::fail_over(const FinishedRun& lost, const boost::json::object& spec_object,
                      const std::string& space, int attempt) {
  if (attempt >= kMaxFailoverAttempts)
    return;
  const boost::json::value spec = spec_object;
  const auto* target = spec.as_object().if_contains("target");
  Selector selector;
  std::set<std::string> ids;
  if (target && target->is_object()) {
    if (const auto* sel = target->as_object().if_contains("selector"); sel && sel->is_string())
      if (auto s = parse_selector(sel->as_string()))
        selector = *s;
    if (const auto* list = target->as_object().if_contains("agents"); list && list->is_array())
      for (const auto& v : list->as_array())
        if (v.is_string())
          ids.emplace(v.as_string());
  }
  for (const auto& candidate : gateway_.connected_agents()) {
    if (candidate == lost.agent_id || (!ids.empty() && !ids.count(candidate)))
      continue;
    auto agent = agents_.find(candidate);
    if (!agent || agent->space_id != space || agent->revoked || !selector.matches(agent->labels))
      continue;
    NewRun run;
    run.id = new_id();
    run.task_id = lost.task_id;
    run.space_id = space;
    run.agent_id = candidate;
    run.state = "pending";
    run.created_at = now_rfc3339();
    run.pending_until = rfc3339_in(kDefaultTtl);
    run.attempt = attempt + 1;
    auto ins = RunRepository(store_).insert_run(run);
    if (ins) {
      log::info("run_failed_over",
                {{"task", lost.task_id}, {"from", lost.agent_id}, {"to", candidate}});
      gateway_.dispatch_pending(candidate);
    }
    return;
  }
}

Result<int> Tasks::reseal_env(store::Store& store, const security::SecretBox& box) {
  int rewritten = 0;
  RIS_TRY_VOID(store.transaction([&](store::Store& tx) -> Result<void> {
    rewritten = 0;  // the body may run again (Errc::busy)
    RunRepository runs(tx);
    RIS_TRY(auto stored, runs.specs_with_sealed_values());
    for (const auto& [id, text] : stored) {
      boost::system::error_code ec;
      auto spec = boost::json::parse(text, ec);
      auto* params = !ec && spec.is_object() ? spec.as_object().if_contains("parameters") : nullptr;
      auto* env = params && params->is_object() ? params->as_object().if_contains("env") : nullptr;
      if (env == nullptr || !env->is_object())
        continue;
      bool changed = false;
      for (auto& kv : env->as_object()) {
        if (!kv.value().is_string() || !security::is_sealed(kv.value().as_string()) ||
            box.is_current(kv.value().as_string()))
          continue;
        RIS_TRY(auto sealed, box.reseal(kv.value().as_string(), kTaskEnvContext));
        kv.value() = sealed;
        changed = true;
      }
      if (!changed)
        continue;
      RIS_TRY_VOID(runs.replace_spec(id, text, boost::json::serialize(spec)));
      ++rewritten;
    }
    return {};
  }));
  return rewritten;
}

}  // namespace ris::fleet
