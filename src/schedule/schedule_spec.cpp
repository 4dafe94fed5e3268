#include "schedule_spec.hpp"

#include <fmt/format.h>

#include <array>

#include "ris/fleet/selector.hpp"
#include "ris/fleet/task_types.hpp"

namespace ris::schedule {
namespace {
namespace json = boost::json;

Failure bad(std::string message) {
  return fail(Errc::invalid_argument, std::move(message));
}

// An integer field within [lo, hi], or `fallback` when absent.
Result<int64_t> int_in(const json::object& o, std::string_view key, int64_t lo, int64_t hi,
                       int64_t fallback) {
  const auto* v = o.if_contains(key);
  if (!v)
    return fallback;
  if (!v->is_int64() && !v->is_uint64())
    return bad(fmt::format("\"{}\" must be a whole number", key));
  const int64_t n = v->is_int64() ? v->as_int64() : static_cast<int64_t>(v->as_uint64());
  if (n < lo || n > hi)
    return bad(fmt::format("\"{}\" must be between {} and {}", key, lo, hi));
  return n;
}

Result<std::string> string_in(const json::object& o, std::string_view key,
                              std::string_view fallback) {
  const auto* v = o.if_contains(key);
  if (!v)
    return std::string(fallback);
  if (!v->is_string())
    return bad(fmt::format("\"{}\" must be a string", key));
  return std::string(v->as_string());
}

template <typename E, size_t N>
Result<E> choice(const json::object& o, std::string_view key,
                 const std::array<std::pair<std::string_view, E>, N>& options, E fallback) {
  RIS_TRY(auto text, string_in(o, key, ""));
  if (text.empty())
    return fallback;
  std::string names;
  for (const auto& [name, value] : options) {
    if (name == text)
      return value;
    names += names.empty() ? std::string(name) : ", " + std::string(name);
  }
  return bad(fmt::format("\"{}\" must be one of {}", key, names));
}

constexpr std::array<std::pair<std::string_view, Overlap>, 4> kOverlaps{
    {{"allow", Overlap::allow},
     {"forbid", Overlap::forbid},
     {"replace", Overlap::replace},
     {"queue", Overlap::queue}}};
constexpr std::array<std::pair<std::string_view, CatchUp>, 3> kCatchUps{
    {{"none", CatchUp::none}, {"latest", CatchUp::latest}, {"all", CatchUp::all}}};

Result<void> check_task(const json::object& task) {
  const auto* type = task.if_contains("type");
  if (!type || !type->is_string())
    return bad("action.task: \"type\" is required");
  json::object parameters;
  if (const auto* p = task.if_contains("parameters")) {
    if (!p->is_object())
      return bad("action.task: \"parameters\" must be an object");
    parameters = p->as_object();
  }
  std::string t(type->as_string());
  if (t != "docker_management")
    if (auto ok = fleet::validate_parameters(t, parameters); !ok)
      return bad("action.task: " + ok.error().message);
  const auto* target = task.if_contains("target");
  if (!target || !target->is_object())
    return bad(
        "action.task: \"target\" is required: {\"agents\": [...]}, {\"selector\": "
        "\"...\"} or {\"all\": true}");
  if (const auto* sel = target->as_object().if_contains("selector"); sel && sel->is_string())
    if (auto s = fleet::parse_selector(sel->as_string()); !s)
      return bad("action.task: " + s.error().message);
  return {};
}

Result<void> check_service(const json::object& s) {
  const auto* name = s.if_contains("name");
  if (!name || !name->is_string() || name->as_string().empty())
    return bad("action.service: \"name\" (the service's name or id) is required");
  RIS_TRY(auto action, string_in(s, "action", ""));
  if (action != "restart" && action != "stop" && action != "start" && action != "scale")
    return bad("action.service: \"action\" must be one of restart, stop, start, scale");
  if (action == "scale") {
    RIS_TRY(auto replicas, int_in(s, "replicas", 0, 1000, -1));
    if (replicas < 0)
      return bad("action.service: scale needs \"replicas\" (0 to 1000)");
  }
  return {};
}

// Plain pointers, not Result<std::string>: GCC 12 warns (wrongly) of an uninitialised string
// when several of those are chained here.
Result<void> check_http(const json::object& h) {
  const auto* u = h.if_contains("url");
  const std::string_view url = u && u->is_string() ? std::string_view(u->as_string()) : "";
  if (!url.starts_with("https://") && !url.starts_with("http://"))
    return bad("action.http: \"url\" must be an http:// or https:// URL");
  const auto* m = h.if_contains("method");
  if (m && !m->is_string())
    return bad("action.http: \"method\" must be a string");
  const std::string_view method = m ? std::string_view(m->as_string()) : "POST";
  static constexpr std::array<std::string_view, 5> kMethods{"GET", "POST", "PUT", "PATCH",
                                                            "DELETE"};
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end())
    return bad("action.http: \"method\" must be one of GET, POST, PUT, PATCH, DELETE");
  if (const auto* hd = h.if_contains("headers")) {
    if (!hd->is_object())
      return bad("action.http: \"headers\" must be an object of strings");
    for (const auto& kv : hd->as_object())
      if (!kv.value().is_string())
        return bad("action.http: \"headers\" must be an object of strings");
  }
  if (const auto* b = h.if_contains("body"); b && !b->is_string())
    return bad("action.http: \"body\" must be a string");
  RIS_TRY_VOID(int_in(h, "timeout_seconds", 1, 300, 30));
  return {};
}

}  // namespace

std::string_view name_of(Overlap o) {
  for (const auto& [name, value] : kOverlaps)
    if (value == o)
      return name;
  return "allow";
}

std::string_view name_of(CatchUp c) {
  for (const auto& [name, value] : kCatchUps)
    if (value == c)
      return name;
  return "latest";
}

std::string action_kind(const ScheduleSpec& spec) {
  return spec.action.empty() ? std::string() : std::string(spec.action.begin()->key());
}

Result<ScheduleSpec> parse_spec(const json::object& body) {
  static constexpr std::array<std::string_view, 13> kKnown{"name",
                                                           "description",
                                                           "paused",
                                                           "when",
                                                           "time_zone",
                                                           "action",
                                                           "overlap",
                                                           "catch_up",
                                                           "catch_up_limit",
                                                           "grace_seconds",
                                                           "jitter_seconds",
                                                           "retries",
                                                           "retry_delay_seconds"};
  for (const auto& kv : body)
    if (std::find(kKnown.begin(), kKnown.end(), kv.key()) == kKnown.end())
      return bad(fmt::format("unknown field \"{}\"", std::string_view(kv.key())));
  ScheduleSpec s;
  RIS_TRY(auto when, string_in(body, "when", ""));
  if (when.empty())
    return bad(
        "\"when\" is required: a cron expression (\"*/5 * * * *\"), @hourly, @daily, "
        "@weekly, @monthly, @yearly or @every 30s");
  RIS_TRY(s.when, When::parse(when));
  RIS_TRY(auto zone, string_in(body, "time_zone", "UTC"));
  RIS_TRY(s.zone, Zone::named(zone));
  const auto* action = body.if_contains("action");
  if (!action || !action->is_object() || action->as_object().size() != 1)
    return bad(
        "\"action\" is required: {\"task\": {...}}, {\"service\": {...}} or "
        "{\"http\": {...}}");
  s.action = action->as_object();
  const auto& [kind, what] = *s.action.begin();
  if (!what.is_object())
    return bad(fmt::format("action.{} must be an object", std::string_view(kind)));
  if (kind == "task")
    RIS_TRY_VOID(check_task(what.as_object()));
  else if (kind == "service")
    RIS_TRY_VOID(check_service(what.as_object()));
  else if (kind == "http")
    RIS_TRY_VOID(check_http(what.as_object()));
  else
    return bad(fmt::format("unknown action \"{}\" (task, service, http)", std::string_view(kind)));
  RIS_TRY(s.overlap, choice(body, "overlap", kOverlaps, Overlap::allow));
  RIS_TRY(s.catch_up, choice(body, "catch_up", kCatchUps, CatchUp::latest));
  RIS_TRY(auto limit, int_in(body, "catch_up_limit", 1, 100, 10));
  RIS_TRY(auto grace, int_in(body, "grace_seconds", 1, 86400, 60));
  RIS_TRY(auto jitter, int_in(body, "jitter_seconds", 0, 3600, 0));
  RIS_TRY(auto retries, int_in(body, "retries", 0, 10, 0));
  RIS_TRY(auto delay, int_in(body, "retry_delay_seconds", 1, 3600, 10));
  s.catch_up_limit = static_cast<int>(limit);
  s.grace = std::chrono::seconds(grace);
  s.jitter = std::chrono::seconds(jitter);
  s.retries = static_cast<int>(retries);
  s.retry_delay = std::chrono::seconds(delay);
  return s;
}

json::object to_json(const ScheduleSpec& s) {
  return {{"when", s.when.expression()},
          {"time_zone", s.zone.name()},
          {"action", s.action},
          {"overlap", name_of(s.overlap)},
          {"catch_up", name_of(s.catch_up)},
          {"catch_up_limit", s.catch_up_limit},
          {"grace_seconds", s.grace.count()},
          {"jitter_seconds", s.jitter.count()},
          {"retries", s.retries},
          {"retry_delay_seconds", s.retry_delay.count()}};
}

}  // namespace ris::schedule
