#include "run_messages.hpp"

#include <boost/json/serialize.hpp>
#include <memory>
#include <optional>

#include "ris/core/time.hpp"
#include "run_repository.hpp"

namespace ris::fleet {
namespace {
constexpr std::string_view kFinal[] = {"succeeded", "failed", "timed_out", "cancelled", "lost"};

bool is_final(std::string_view state) {
  for (auto f : kFinal)
    if (state == f)
      return true;
  return false;
}

std::string str(const boost::json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

store::Value opt_int(const boost::json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? store::Value(v->as_int64()) : store::Value();
}
}  // namespace

void RunMessages::register_into(MessageHandlers& handlers) {
  handlers.add("task_ack", [this](InboundMessage& m) { return on_ack(m); });
  handlers.add("task_output", [this](InboundMessage& m) { return on_output(m); });
  handlers.add("task_result", [this](InboundMessage& m) { return on_result(m); });
}

Result<void> RunMessages::on_ack(InboundMessage& m) {
  m.write_statement_then(
      RunRepository::mark_running_statement(m.envelope.task_id, m.session.agent_id(),
                                            now_rfc3339()),
      [this, run = m.envelope.task_id](const store::QueryResult& r) {
        if (!r.rows.empty())  // started now, not a redelivered ack
          events_.publish_run_event(run, {{"type", "run_state"}, {"state", "running"}});
      });
  return {};
}

Result<void> RunMessages::on_output(InboundMessage& m) {
  const auto& e = m.envelope;
  const auto* chunk = e.payload.if_contains("chunk");
  if (!chunk || !chunk->is_int64())
    return {};
  const std::string data = str(e.payload, "data"), stream = str(e.payload, "stream");
  RIS_TRY(auto written, RunRepository(store_).append_output(
                            e.task_id, m.session.agent_id(), chunk->as_int64(), stream, data,
                            static_cast<int64_t>(output_cap_bytes_)));
  if (written == OutputWrite::stored)
    events_.publish_run_event(
        e.task_id,
        {{"type", "run_output"}, {"seq", chunk->as_int64()}, {"stream", stream}, {"data", data}});
  return {};
}

Result<void> RunMessages::on_result(InboundMessage& m) {
  const auto& e = m.envelope;
  const std::string state = str(e.payload, "status");
  if (!is_final(state))
    return fail(Errc::invalid_argument, "task_result with status \"" + state + "\"");
  // A run presumed lost takes its true result when the agent comes back with one.
  const auto* result = e.payload.if_contains("result");
  RunFinal final{e.task_id,
                 m.session.agent_id(),
                 state,
                 now_rfc3339(),
                 opt_int(e.payload, "exit_code"),
                 opt_int(e.payload, "signal"),
                 str(e.payload, "error"),
                 result ? store::Value(boost::json::serialize(*result)) : store::Value()};
  const auto* code = e.payload.if_contains("exit_code");
  m.write_statement_then(
      RunRepository::finish_statement(final),
      [this, run = e.task_id, agent = m.session.agent_id(), state,
       exit_code = code ? *code : boost::json::value()](const store::QueryResult& r) {
        if (r.rows.empty())
          return;  // already final: a redelivered result
        boost::json::object extra;
        if (!exit_code.is_null())
          extra["exit_code"] = exit_code;
        events_.run_finished({run, r.rows[0].get<std::string>(0), agent, state}, std::move(extra));
      });
  return {};
}

}  // namespace ris::fleet
