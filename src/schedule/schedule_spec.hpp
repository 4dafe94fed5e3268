// A schedule's specification, read from the API's JSON and stored as JSON: when it fires, in
// which zone, what it does, and its policies. Parsing checks everything a fire would need, so a
// schedule that was accepted cannot fail later for a reason its author could have been told.
#pragma once
#include <boost/json/object.hpp>
#include <chrono>
#include <string>

#include "ris/core/result.hpp"
#include "ris/schedule/when.hpp"

namespace ris::schedule {

enum class Overlap { allow, forbid, replace, queue };
enum class CatchUp { none, latest, all };

struct ScheduleSpec {
  When when;
  Zone zone = Zone::utc();
  // Exactly one of {"task": {…a task body…}}, {"service": {"name", "action", "replicas"}} or
  // {"http": {"method", "url", "headers", "body", "timeout_seconds"}}.
  boost::json::object action;
  Overlap overlap = Overlap::allow;
  CatchUp catch_up = CatchUp::latest;
  int catch_up_limit = 10;               // at most this many late fires made up (catch_up all)
  std::chrono::seconds grace{60};        // later than this, a fire counts as missed
  std::chrono::seconds jitter{0};        // a fixed offset per schedule, 0 to this
  int retries = 0;                       // more attempts when the action cannot start
  std::chrono::seconds retry_delay{10};  // doubled after each attempt
};

// The body's fields (when, time_zone, action, overlap, catch_up, catch_up_limit, grace_seconds,
// jitter_seconds, retries, retry_delay_seconds); unknown fields and wrong types are refused.
// `name`, `paused` and `description` belong to the schedule and are skipped here.
Result<ScheduleSpec> parse_spec(const boost::json::object& body);
// The stored (and shown) form, every default spelled out.
boost::json::object to_json(const ScheduleSpec& spec);

std::string_view name_of(Overlap o);
std::string_view name_of(CatchUp c);
// The action's kind: "task", "service" or "http".
std::string action_kind(const ScheduleSpec& spec);

}  // namespace ris::schedule
