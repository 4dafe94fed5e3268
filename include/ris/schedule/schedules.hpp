// Schedules of a space (seed 001 ARSCHED): when (cron, macro or @every, in an IANA time zone)
// and what (a task, a service action, an HTTP call), with overlap, catch-up, jitter and retry
// policies, pause and resume, the next fire times, and the history of every fire — started,
// failed, skipped or missed, never silently dropped. docs/schedules.md is the user's guide.
//
// Reading needs VIEW_AGENTS; creating, changing and deleting need MANAGE_SCHEDULES (on the
// schedule itself for changes, so a role overwrite on one schedule counts). A fire acts with
// the permissions its schedule's creator has at that moment.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/core/time.hpp"
#include "ris/identity/access.hpp"
#include "ris/store/store.hpp"

namespace ris::schedule {

struct Schedule {
  std::string id, space_id, name, description;
  boost::json::object spec;  // every field spelled out (schedule_spec.cpp)
  bool paused = false;
  std::string anchor;
  std::optional<std::string> next_due;
  std::string created_by, created_at, updated_at;
};

struct Fire {
  std::string schedule_id, due_at, space_id, state, fire_at;
  int64_t attempt = 0;
  std::optional<int64_t> epoch;
  std::optional<std::string> server_id, fired_at, task_id, detail;
};

class Schedules {
 public:
  explicit Schedules(store::Store& store) : store_(store) {}

  Result<Schedule> create(const identity::SpaceAccess& access, const boost::json::object& body);
  // Replaces the specification (and name/description when given); the next fire is counted
  // afresh from now.
  Result<Schedule> update(const identity::SpaceAccess& access, std::string_view ref,
                          const boost::json::object& body);
  // Paused: nothing fires, and nothing is counted missed. Resumed: fires from now on.
  Result<Schedule> set_paused(const identity::SpaceAccess& access, std::string_view ref,
                              bool paused);
  Result<void> remove(const identity::SpaceAccess& access, std::string_view ref);
  // `ref` is an id or a name.
  Result<Schedule> get(const identity::SpaceAccess& access, std::string_view ref);
  Result<std::vector<Schedule>> list(const identity::SpaceAccess& access);
  // Newest first; `before`: a due instant, for the next page.
  Result<std::vector<Fire>> fires(const identity::SpaceAccess& access, std::string_view ref,
                                  int limit, std::optional<std::string> before);
  // The next `count` fire instants from the next due one (empty while paused).
  static std::vector<std::string> upcoming(const Schedule& s, int count);

 private:
  Result<Schedule> find(const identity::SpaceAccess& access, std::string_view ref);
  Result<void> require_manage(const identity::SpaceAccess& access, const std::string& id);
  store::Store& store_;
};

}  // namespace ris::schedule
