#include "run_dispatch.hpp"

#include <boost/json/parse.hpp>

#include <fmt/format.h>

#include "ris/core/base64.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/fleet/gateway.hpp"
#include "run_repository.hpp"

namespace ris::fleet {

std::string RunDispatch::task_public_key() const {
  return base64url_encode(task_key_.public_raw());
}

Result<boost::json::object> RunDispatch::execution_payload(const std::string& task_id) {
  {
    std::lock_guard lock(payload_mu_);
    if (auto it = payloads_.find(task_id); it != payloads_.end())
      return it->second;
  }
  RIS_TRY(auto stored, RunRepository(store_).type_and_spec(task_id));
  if (!stored)
    return fail(Errc::not_found, "no such task");
  boost::system::error_code ec;
  auto spec = boost::json::parse(stored->second, ec);
  if (ec || !spec.is_object())
    return fail(Errc::internal, "stored task spec is not JSON");
  boost::json::object payload{{"task_type", stored->first}, {"action", "run"}};
  if (auto* p = spec.as_object().if_contains("parameters")) {
    payload["parameters"] = *p;
    // Sealed env values (a deployment's secrets) open only into the signed message.
    auto* env = payload["parameters"].as_object().if_contains("env");
    boost::json::object none;
    for (auto& kv : env && env->is_object() ? env->as_object() : none) {
      if (!kv.value().is_string() || !security::is_sealed(kv.value().as_string()))
        continue;
      if (secrets_ == nullptr)
        return fail(Errc::internal, "the task has sealed values and no master key opens them");
      auto open = secrets_->open(kv.value().as_string(), kTaskEnvContext);
      if (!open)
        return fail(Errc::internal, fmt::format("the task's env {} does not open: {}",
                                                std::string_view(kv.key()), open.error().message));
      kv.value() = *open;
    }
  }
  if (auto* t = spec.as_object().if_contains("timeout_seconds"))
    payload["timeout_seconds"] = *t;
  std::lock_guard lock(payload_mu_);
  if (payloads_.size() >= 1024)  // tasks are immutable; forgetting them only costs a re-read
    payloads_.clear();
  payloads_.emplace(task_id, payload);
  return payload;
}

Result<Envelope> RunDispatch::execution_message(const std::string& agent_id,
                                                const std::string& run_id,
                                                const std::string& task_id) {
  RIS_TRY(auto payload, execution_payload(task_id));
  Envelope e;
  e.message_type = "task_execution";
  e.task_id = run_id;
  e.client_id = agent_id;
  e.payload = std::move(payload);
  RIS_TRY_VOID(sign(e, task_key_));
  return e;
}

Result<void> RunDispatch::send_run(AgentSession& s, const std::string& run_id) {
  RunRepository runs(store_);
  RIS_TRY(auto run, runs.run_of_agent(run_id, s.agent_id()));
  if (!run)
    return fail(Errc::not_found, "no such run");
  const auto& [state, task_id] = *run;
  if (state != "pending" && state != "dispatched" && state != "running")
    return {};  // ended meanwhile: nothing to send
  RIS_TRY(auto e, execution_message(s.agent_id(), run_id, task_id));
  if (state == "pending")
    RIS_TRY_VOID(runs.mark_dispatched(run_id, now_rfc3339()));
  s.send(e);
  return {};
}

void RunDispatch::redeliver(AgentSession& s) {
  auto due = RunRepository(store_).due_runs(s.agent_id(), now_rfc3339(), false);
  if (!due)
    return log::error("redeliver_failed",
                      {{"agent", s.agent_id()}, {"error", due.error().message}});
  for (const auto& run : *due)
    if (auto sent = send_run(s, run); !sent)
      log::error("dispatch_failed", {{"run", run}, {"error", sent.error().message}});
}

void RunDispatch::dispatch_pending(const std::string& agent_id) {
  auto s = sessions_.find(agent_id);
  if (!s)
    return;
  s->enqueue([this, s] {
    auto due = RunRepository(store_).due_runs(s->agent_id(), now_rfc3339(), true);
    if (due)
      for (const auto& run : *due)
        (void)send_run(*s, run);
  });
}

void RunDispatch::hand_out_due(const std::string& server_id) {
  constexpr int64_t kBatch = 5000;
  RunRepository runs(store_);
  for (;;) {
    const std::string now = now_rfc3339();
    auto due = runs.due_runs_held_by(server_id, now, kBatch);
    if (!due)
      return log::error("hand_out_failed", {{"error", due.error().message}});
    // Only to agents whose session is here now: the others stay pending for their next hello.
    std::vector<DueRun> here;
    for (auto& r : *due)
      if (sessions_.find(r.agent_id))
        here.push_back(std::move(r));
    auto taken = runs.take_pending(here, now);
    if (!taken)
      return log::error("hand_out_failed", {{"error", taken.error().message}});
    for (const auto& r : *taken)
      send_new_run(r.agent_id, r.run_id, r.task_id);
    if (static_cast<int64_t>(due->size()) < kBatch || here.empty())
      return;
  }
}

void RunDispatch::send_new_run(const std::string& agent_id, const std::string& run_id,
                               const std::string& task_id) {
  auto s = sessions_.find(agent_id);
  if (!s)
    return;
  s->enqueue([this, s, run_id, task_id] {
    auto e = execution_message(s->agent_id(), run_id, task_id);
    if (!e)
      return log::error("dispatch_failed", {{"run", run_id}, {"error", e.error().message}});
    s->send(*e);
  });
}

void RunDispatch::send_stored_run(const std::string& agent_id, const std::string& run_id) {
  auto s = sessions_.find(agent_id);
  if (!s)
    return;
  s->enqueue([this, s, run_id] {
    if (auto sent = send_run(*s, run_id); !sent)
      log::warn("dispatch_failed", {{"run", run_id}, {"error", sent.error().message}});
  });
}

void RunDispatch::cancel(const std::string& agent_id, const std::string& run_id) {
  Envelope e;
  e.message_type = "task_cancel";
  e.task_id = run_id;
  (void)send_control(agent_id, std::move(e));
}

bool RunDispatch::send_control(const std::string& agent_id, Envelope e) {
  auto s = sessions_.find(agent_id);
  if (!s)
    return false;
  e.client_id = agent_id;
  if (auto signed_ok = sign(e, task_key_); !signed_ok) {
    log::error("sign_failed", {{"agent", agent_id}, {"error", signed_ok.error().message}});
    return false;
  }
  s->send(e);
  return true;
}

}  // namespace ris::fleet
