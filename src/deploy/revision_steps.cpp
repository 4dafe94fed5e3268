#include "revision_steps.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "ris/core/ids.hpp"

namespace ris::deploy {
namespace json = boost::json;

std::vector<StepRow> steps_for(const Plan& p, const Deployment& target, const Live& live) {
  std::vector<StepRow> steps;
  for (size_t w = 0; w < p.waves.size(); ++w)
    for (const auto& st : p.waves[w]) {
      const json::object* spec = nullptr;
      if (st.change == Change::remove) {
        spec = &live.at(st.service);
      } else {
        for (const auto& s : target.services)
          if (s.name == st.service)
            spec = &s.spec;
      }
      for (const auto& node : spec->at("on").as_array()) {
        StepRow row;
        row.service = st.service;
        row.node = std::string(node.as_string());
        row.wave = static_cast<int64_t>(w) + 1;
        row.change = std::string(name_of(st.change));
        row.phase = "action";
        row.state = st.change == Change::unchanged ? "succeeded" : "pending";
        steps.push_back(std::move(row));
      }
    }
  return steps;
}

Live live_after(const Revision& failed, const std::optional<Revision>& applied,
                const std::set<std::string>& touched) {
  Live live;
  if (applied)
    for (const auto& kv : applied->specs)
      if (kv.value().is_object())
        live[std::string(kv.key())] = kv.value().as_object();
  for (const auto& service : touched) {
    const auto* spec = failed.specs.if_contains(service);
    if (spec != nullptr && spec->is_object())
      live[service] = spec->as_object();
    else
      live.erase(service);  // a removal that began: treat it as gone
  }
  return live;
}

Result<Rollback> rollback_of(const Revision& failed, const std::optional<Revision>& applied,
                             const std::set<std::string>& touched, const std::string& at) {
  // The file to return to; with nothing applied before, one that has no services.
  std::string file = applied ? applied->file : std::string("nodes: {}\nservices: {}\n");
  if (!applied && !failed.environment.empty())
    file += fmt::format("environments:\n  {}: {{}}\n", failed.environment);
  auto read = read_deployment(file, failed.environment);
  if (!read.deployment)
    return fail(Errc::internal, "the revision to return to no longer reads: " +
                                    format_diagnostics("file", read.diagnostics));
  const Live live = live_after(failed, applied, touched);
  const Plan p = make_plan(*read.deployment, live);
  Rollback out;
  Revision& r = out.revision;
  r.id = new_id();
  r.space_id = failed.space_id;
  r.deployment = failed.deployment;
  r.environment = failed.environment;
  r.state = "applying";
  r.kind = "rollback";
  r.on_failure = "stop";  // a rollback that fails stops: no rollback of a rollback
  r.plan_hash = p.hash;
  r.file = std::move(file);
  r.specs = applied ? applied->specs : json::object{};
  r.removes_from = failed.id;
  r.created_by = failed.created_by;
  r.created_at = at;
  r.detail =
      applied
          ? fmt::format("rolls revision {} back to revision {}", failed.revision, applied->revision)
          : fmt::format("rolls revision {} back: nothing was applied before it", failed.revision);
  out.steps = steps_for(p, *read.deployment, live);
  return out;
}

}  // namespace ris::deploy
