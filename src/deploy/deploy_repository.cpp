#include "deploy_repository.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ris::deploy {
namespace {

constexpr std::string_view kColumns =
    "id, space_id, deployment, environment, revision, state, plan_hash, file, specs, detail, "
    "created_by, created_at, finished_at, kind, on_failure, removes_from";
constexpr std::string_view kStepColumns =
    "service, node, wave, change, phase, state, attempt, task_id, next_at, detail, started_at, "
    "finished_at";

Revision from_row(const store::Row& r) {
  Revision v;
  v.id = r.get<std::string>("id");
  v.space_id = r.get<std::string>("space_id");
  v.deployment = r.get<std::string>("deployment");
  v.environment = r.get<std::string>("environment");
  v.revision = r.get<int64_t>("revision");
  v.state = r.get<std::string>("state");
  v.plan_hash = r.get<std::string>("plan_hash");
  v.file = r.get<std::string>("file");
  boost::json::error_code ec;
  auto specs = boost::json::parse(r.get<std::string>("specs"), ec);
  if (!ec && specs.is_object())
    v.specs = std::move(specs.as_object());
  v.detail = r.get_optional<std::string>("detail");
  v.created_by = r.get<std::string>("created_by");
  v.created_at = r.get<std::string>("created_at");
  v.finished_at = r.get_optional<std::string>("finished_at");
  v.kind = r.get<std::string>("kind");
  v.on_failure = r.get<std::string>("on_failure");
  v.removes_from = r.get_optional<std::string>("removes_from");
  return v;
}

StepRow step_from_row(const store::Row& r) {
  StepRow s;
  s.service = r.get<std::string>("service");
  s.node = r.get<std::string>("node");
  s.wave = r.get<int64_t>("wave");
  s.change = r.get<std::string>("change");
  s.phase = r.get<std::string>("phase");
  s.state = r.get<std::string>("state");
  s.attempt = r.get<int64_t>("attempt");
  s.task_id = r.get_optional<std::string>("task_id");
  s.next_at = r.get_optional<std::string>("next_at");
  s.detail = r.get_optional<std::string>("detail");
  s.started_at = r.get_optional<std::string>("started_at");
  s.finished_at = r.get_optional<std::string>("finished_at");
  return s;
}

std::string select_revisions() {
  return std::string("SELECT ") + std::string(kColumns) + " FROM deploy_revisions ";
}

}  // namespace

Result<void> DeployRepository::insert_in(store::Store& tx, Revision& r,
                                         const std::vector<StepRow>& steps) {
  RIS_TRY(auto busy, tx.query("SELECT revision FROM deploy_revisions WHERE space_id = ? AND "
                              "deployment = ? AND environment = ? AND state = 'applying'",
                              {r.space_id, r.deployment, r.environment}));
  if (!busy.rows.empty())
    return fail(Errc::conflict,
                fmt::format("revision {} of {} is still applying: wait for it to end",
                            busy.rows[0].get<int64_t>("revision"), r.deployment));
  RIS_TRY(auto last, tx.query("SELECT MAX(revision) AS n FROM deploy_revisions WHERE space_id "
                              "= ? AND deployment = ? AND environment = ?",
                              {r.space_id, r.deployment, r.environment}));
  r.revision = last.rows.empty() ? 1 : last.rows[0].get_optional<int64_t>("n").value_or(0) + 1;
  RIS_TRY_VOID(tx.query(
      std::string("INSERT INTO deploy_revisions (") + std::string(kColumns) +
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {r.id, r.space_id, r.deployment, r.environment, r.revision, r.state, r.plan_hash, r.file,
       boost::json::serialize(r.specs), store::nullable(r.detail), r.created_by, r.created_at,
       store::nullable(r.finished_at), r.kind, r.on_failure, store::nullable(r.removes_from)}));
  for (const auto& s : steps)
    RIS_TRY_VOID(
        tx.query(std::string("INSERT INTO deploy_steps (revision_id, ") +
                     std::string(kStepColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {r.id, s.service, s.node, s.wave, s.change, s.phase, s.state, s.attempt,
                  store::nullable(s.task_id), store::nullable(s.next_at), store::nullable(s.detail),
                  store::nullable(s.started_at), store::nullable(s.finished_at)}));
  return {};
}

Result<Revision> DeployRepository::insert(Revision r, const std::vector<StepRow>& steps) {
  RIS_TRY_VOID(store_.transaction(
      [&](store::Store& tx) -> Result<void> { return insert_in(tx, r, steps); }));
  return r;
}

Result<Revision> DeployRepository::roll_back(std::string_view failed_id, const std::string& why,
                                             const std::string& at, Revision r,
                                             const std::vector<StepRow>& steps,
                                             const cluster::Fence& fence) {
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(fence(tx));
    RIS_TRY_VOID(finish_in(tx, failed_id, "failed", why, at));
    return insert_in(tx, r, steps);
  }));
  return r;
}

Result<std::vector<Revision>> DeployRepository::latest(std::string_view space_id) {
  std::string columns;
  for (std::string_view rest = kColumns; !rest.empty();) {
    const auto comma = rest.find(", ");
    columns += (columns.empty() ? "r." : ", r.") + std::string(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  RIS_TRY(auto q,
          store_.query("SELECT " + columns +
                           " FROM deploy_revisions r JOIN (SELECT deployment, environment, "
                           "MAX(revision) AS n FROM deploy_revisions WHERE space_id = ? GROUP BY "
                           "deployment, environment) m ON r.deployment = m.deployment AND "
                           "r.environment = m.environment AND r.revision = m.n WHERE r.space_id = "
                           "? ORDER BY r.deployment, r.environment LIMIT 1000",
                       {std::string(space_id), std::string(space_id)}));
  std::vector<Revision> out;
  for (const auto& row : q.rows)
    out.push_back(from_row(row));
  return out;
}

Result<std::optional<Revision>> DeployRepository::by_id(std::string_view id) {
  RIS_TRY(auto q, store_.query(select_revisions() + "WHERE id = ?", {std::string(id)}));
  if (q.rows.empty())
    return std::optional<Revision>();
  return std::optional<Revision>(from_row(q.rows[0]));
}

Result<std::optional<Revision>> DeployRepository::last_applied(std::string_view space_id,
                                                               std::string_view deployment,
                                                               std::string_view environment) {
  RIS_TRY(auto q,
          store_.query(select_revisions() +
                           "WHERE space_id = ? AND deployment = ? AND environment = ? AND "
                           "state = 'applied' ORDER BY revision DESC LIMIT 1",
                       {std::string(space_id), std::string(deployment), std::string(environment)}));
  if (q.rows.empty())
    return std::optional<Revision>();
  return std::optional<Revision>(from_row(q.rows[0]));
}

Result<std::vector<Revision>> DeployRepository::list(
    std::string_view space_id, std::string_view deployment,
    const std::optional<std::string>& environment) {
  std::string sql = select_revisions() + "WHERE space_id = ? AND deployment = ?";
  std::vector<store::Value> params{std::string(space_id), std::string(deployment)};
  if (environment) {
    sql += " AND environment = ?";
    params.push_back(*environment);
  }
  RIS_TRY(auto q, store_.query(sql + " ORDER BY created_at DESC, revision DESC LIMIT 100",
                               std::move(params)));
  std::vector<Revision> out;
  for (const auto& row : q.rows)
    out.push_back(from_row(row));
  return out;
}

Result<std::optional<Revision>> DeployRepository::get(std::string_view space_id,
                                                      std::string_view deployment,
                                                      std::string_view environment,
                                                      int64_t number) {
  RIS_TRY(auto q,
          store_.query(
              select_revisions() + "WHERE space_id = ? AND deployment = ? AND environment = ? "
                                   "AND revision = ?",
              {std::string(space_id), std::string(deployment), std::string(environment), number}));
  if (q.rows.empty())
    return std::optional<Revision>();
  return std::optional<Revision>(from_row(q.rows[0]));
}

Result<std::vector<Revision>> DeployRepository::applying() {
  RIS_TRY(auto q, store_.query(select_revisions() +
                               "WHERE state = 'applying' ORDER BY created_at LIMIT 100"));
  std::vector<Revision> out;
  for (const auto& row : q.rows)
    out.push_back(from_row(row));
  return out;
}

Result<std::vector<StepRow>> DeployRepository::steps(std::string_view revision_id) {
  RIS_TRY(auto q, store_.query(std::string("SELECT ") + std::string(kStepColumns) +
                                   " FROM deploy_steps WHERE revision_id = ? ORDER BY wave, "
                                   "service, node",
                               {std::string(revision_id)}));
  std::vector<StepRow> out;
  for (const auto& row : q.rows)
    out.push_back(step_from_row(row));
  return out;
}

Result<void> DeployRepository::save_step(std::string_view revision_id, const StepRow& s,
                                         const cluster::Fence& fence) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(fence(tx));
    RIS_TRY_VOID(tx.query(
        "UPDATE deploy_steps SET phase = ?, state = ?, attempt = ?, task_id = "
        "?, next_at = ?, detail = ?, started_at = ?, finished_at = ? WHERE "
        "revision_id = ? AND service = ? AND node = ?",
        {s.phase, s.state, s.attempt, store::nullable(s.task_id), store::nullable(s.next_at),
         store::nullable(s.detail), store::nullable(s.started_at), store::nullable(s.finished_at),
         std::string(revision_id), s.service, s.node}));
    return {};
  });
}

Result<void> DeployRepository::finish_in(store::Store& tx, std::string_view revision_id,
                                         std::string_view state,
                                         const std::optional<std::string>& detail,
                                         const std::string& at) {
  RIS_TRY_VOID(
      tx.query("UPDATE deploy_revisions SET state = ?, detail = ?, finished_at = ? WHERE id = ?",
               {std::string(state), store::nullable(detail), at, std::string(revision_id)}));
  if (state == "failed")
    RIS_TRY_VOID(
        tx.query("UPDATE deploy_steps SET state = 'skipped' WHERE revision_id = ? AND "
                 "state IN ('pending', 'running')",
                 {std::string(revision_id)}));
  return {};
}

Result<void> DeployRepository::finish(std::string_view revision_id, std::string_view state,
                                      const std::optional<std::string>& detail,
                                      const std::string& at, const cluster::Fence& fence) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(fence(tx));
    return finish_in(tx, revision_id, state, detail, at);
  });
}

}  // namespace ris::deploy
