// risctl pause|resume schedule NAME, and risctl fires NAME: the history of a schedule's fires.
#include <boost/json/serialize.hpp>

#include "help.hpp"
#include "output.hpp"
#include "session.hpp"

namespace ris::cli {
namespace json = boost::json;

namespace {
bool names_schedule(const std::string& word) {
  return word == "schedule" || word == "schedules" || word == "sched";
}
}  // namespace

int cmd_schedule_pause(Session& s, bool pause) {
  const auto& p = s.args.positional;
  if (p.size() != 3 || !names_schedule(p[1]))
    return std::cerr << *command_help(pause ? "pause" : "resume"), 2;
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  auto done = api.call("POST", space + "/schedules/" + p[2] + (pause ? "/pause" : "/resume"),
                       json::value(json::object{}));
  if (!done)
    return s.error(done.error().message);
  const auto& o = done->as_object();
  std::cout << "schedule/" << text(o, "name") << (pause ? " paused" : " resumed");
  if (const auto* n = o.if_contains("next_fires");
      !pause && n && n->is_array() && !n->as_array().empty())
    std::cout << "; next fire " << cell(&n->as_array().front());
  std::cout << "\n";
  return 0;
}

int cmd_fires(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() != 2)
    return std::cerr << *command_help("fires"), 2;
  auto limit = s.args.get_int("limit", 20, 1);
  if (!limit)
    return s.error(limit.error().message);
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  auto got =
      api.call("GET", space + "/schedules/" + p[1] + "/fires?limit=" + std::to_string(*limit),
               json::value());
  if (!got)
    return s.error(got.error().message);
  const auto& items = got->as_object().at("items").as_array();
  const std::string format = s.args.get("output");
  if (format == "json")
    return std::cout << to_pretty_json(items), 0;
  if (format == "yaml")
    return std::cout << to_yaml(items), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : items) {
    const auto& f = item.as_object();
    rows.push_back({text(f, "due_at"), text(f, "state"), text(f, "attempt"), text(f, "fired_at"),
                    text(f, "task_id"), text(f, "detail")});
  }
  std::cout << render_table({"due", "state", "attempt", "fired", "task", "detail"}, rows);
  return 0;
}

}  // namespace ris::cli
