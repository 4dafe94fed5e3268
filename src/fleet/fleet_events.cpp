#include "fleet_events.hpp"

#include <boost/json/serialize.hpp>

#include "ris/bus/bus.hpp"
#include "ris/metrics/metrics.hpp"
#include "run_repository.hpp"

namespace ris::fleet {

std::string task_subject(std::string_view space_id, std::string_view task_id) {
  return "space." + std::string(space_id) + ".task." + std::string(task_id);
}

std::string space_subject(std::string_view space_id, std::string_view resource) {
  return "space." + std::string(space_id) + "." + std::string(resource);
}

void FleetEvents::publish_change(const std::string& space_id, std::string_view resource,
                                 std::string_view id, boost::json::object extra) {
  if (!bus_ || space_id.empty() || !bus_->has_subscribers())
    return;
  extra["type"] = "changed";
  extra["resource"] = resource;
  extra["space"] = space_id;
  extra["id"] = id;
  bus_->publish(space_subject(space_id, resource),
                std::make_shared<const std::string>(boost::json::serialize(extra)));
}

void FleetEvents::publish_run_event(const std::string& run_id, boost::json::object event) {
  if (!bus_ || !bus_->has_subscribers())
    return;
  auto route = RunRepository(store_).route(run_id);
  if (!route || !*route)
    return;
  const std::string task = (*route)->task_id, space = (*route)->space_id;
  event["task"] = task;
  event["run"] = run_id;
  event["agent"] = (*route)->agent_id;
  // Task lists follow state changes, not output.
  if (event["type"] == "run_state")
    publish_change(space, "tasks", task,
                   {{"run", run_id}, {"agent", event["agent"]}, {"state", event["state"]}});
  bus_->publish(task_subject(space, task),
                std::make_shared<const std::string>(boost::json::serialize(event)));
}

void FleetEvents::run_finished(const FinishedRun& run, boost::json::object extra) {
  if (completed_)
    completed_->with({run.state}).inc();
  boost::json::object event{{"type", "run_state"}, {"state", run.state}};
  for (auto& [k, v] : extra)
    event[k] = std::move(v);
  publish_run_event(run.run_id, std::move(event));
  finished_.notify(run);
}

void FleetEvents::export_metrics(metrics::Registry& registry) {
  completed_ = &registry.counter("ris_tasks_completed_total",
                                 "Task runs that reached a final state, by state", {"status"});
}

}  // namespace ris::fleet
