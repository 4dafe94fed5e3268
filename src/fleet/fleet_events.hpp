// Everything the fleet tells others: change notices and run events for people's tools on the bus
// (task_subject, space_subject), and the in-process hooks other modules listen on — an agent
// connected, a run finished. Several listeners per hook; none replaces another.
#pragma once
#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "listeners.hpp"
#include "ris/fleet/gateway.hpp"
#include "ris/store/store.hpp"

namespace ris::metrics {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace ris::metrics

namespace ris::bus {
class Bus;
}

namespace ris::fleet {

class FleetEvents {
 public:
  // `bus` may be null (no events for people).
  FleetEvents(store::Store& store, bus::Bus* bus) : store_(store), bus_(bus) {}

  // {"type":"changed","resource":…,"space":…,"id":…,…extra} under space_subject().
  void publish_change(const std::string& space_id, std::string_view resource, std::string_view id,
                      boost::json::object extra = {});
  // A run_state or run_output event under the run's task_subject(); state changes also tell
  // the space's task lists.
  void publish_run_event(const std::string& run_id, boost::json::object event);

  // A run's final state was stored: counted in ris_tasks_completed_total, published (with
  // `extra` fields, e.g. the exit code), then handed to every on_finished listener.
  void run_finished(const FinishedRun& run, boost::json::object extra = {});
  void on_finished(std::function<void(const FinishedRun&)> fn) { finished_.add(std::move(fn)); }

  // An agent's hello was recorded: every on_connected listener, on the pool.
  void agent_connected(const std::string& agent_id) { connected_.notify(agent_id); }
  void on_connected(std::function<void(const std::string&)> fn) { connected_.add(std::move(fn)); }

  void export_metrics(metrics::Registry& registry);

 private:
  store::Store& store_;
  bus::Bus* bus_;
  Listeners<const FinishedRun&> finished_;
  Listeners<const std::string&> connected_;
  metrics::Family<metrics::Counter>* completed_ = nullptr;
};

}  // namespace ris::fleet
