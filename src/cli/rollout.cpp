// Service changes from the command line (scale, restart, rollback, stop, start) and following a
// rollout until the fleet has converged: a redrawn status line on a terminal, one line per
// change otherwise.
#include <boost/json/serialize.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "events.hpp"
#include "help.hpp"
#include "output.hpp"
#include "session.hpp"

namespace ris::cli {
namespace json = boost::json;

namespace {
int64_t num(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// What "done" means for the action that started the rollout.
enum class Goal { running, stopped };

// Follows service `name` until it converges (0), fails (1) or the time runs out (1).
// `rollout_matters`: a failed rollout fails this command (restart, rollback, status; a scale
// keeps the containers, so an earlier rollout's outcome is not its own).
int follow(Session& s, Api& api, const std::string& space, const std::string& name, Goal goal,
           bool rollout_matters, std::chrono::seconds timeout) {
  std::optional<Events> events;
  auto token = api.access_token();  // first: it finds the server that answers
  auto tls = tls_for(api.context());
  if (tls && token) {
    events.emplace(api.url(), *tls, *token);
    events->subscribe(
        json::object{{"topic", "services"}, {"space", space.substr(space.rfind('/') + 1)}});
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_line;
  while (true) {
    auto svc = api.call("GET", space + "/services/" + name);
    if (!svc)
      return s.error(svc.error().message);
    const auto& o = svc->as_object();
    const auto& rollout = o.at("rollout").as_object();
    const std::string state = text(rollout, "state");
    const int64_t running = num(o, "running"), desired = num(o, "desired");
    std::string line = name + ": " + std::to_string(running) + "/" + std::to_string(desired) +
                       " running, version " + text(o, "version") +
                       (state.empty() ? "" : ", rollout " + state);
    if (line != last_line) {
      if (s.tty_out)
        std::cout << "\r\033[K" << line << std::flush;
      else
        std::cout << line << "\n" << std::flush;
      last_line = line;
    }
    const bool failed =
        rollout_matters && (state == "failed" || state == "rolled_back" || state == "paused");
    const bool converged =
        state != "updating" && (goal == Goal::stopped ? running == 0 : running == desired);
    if (failed || converged || interrupted() || std::chrono::steady_clock::now() > deadline) {
      if (s.tty_out)
        std::cout << "\n";
      if (failed)
        return s.error("the rollout " + state +
                       (rollout.contains("error") ? ": " + text(rollout, "error") : std::string()));
      if (interrupted())
        return 130;  // the change goes on in risd; only the following stopped
      if (!converged)
        return s.error("not converged after " + std::to_string(timeout.count()) +
                       " s (the rollout goes on: risctl rollout status service " + name + ")");
      std::cout << "service/" << name << " " << (goal == Goal::stopped ? "stopped" : "rolled out")
                << "\n";
      return 0;
    }
    // A change notice wakes us at once; without one, look again every second.
    if (events)
      events->next(std::chrono::seconds(1));
    else
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int act(Session& s, const std::string& verb, const std::string& name, const json::object& body) {
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  auto timeout = s.args.get_int("timeout", 300, 1);
  if (!timeout)
    return s.error(timeout.error().message);
  if (verb != "status") {
    auto done = api.call("POST", space + "/services/" + name + "/" + verb, json::value(body));
    if (!done)
      return s.error(done.error().message);
    if (s.args.has("no-wait")) {
      std::cout << "service/" << name << " " << verb << " requested (version "
                << text(done->as_object(), "version") << ")\n";
      return 0;
    }
  }
  return follow(s, api, space, name, verb == "stop" ? Goal::stopped : Goal::running,
                verb == "restart" || verb == "rollback" || verb == "status",
                std::chrono::seconds(*timeout));
}
}  // namespace

int cmd_service_action(Session& s, const std::string& verb) {
  const auto& p = s.args.positional;
  if (verb == "scale") {
    if (p.size() != 4 || (p[1] != "service" && p[1] != "services" && p[1] != "svc"))
      return std::cerr << *command_help("scale"), 2;
    auto n = parse_int(p[3], "REPLICAS");
    if (!n)
      return s.error(n.error().message);
    return act(s, "scale", p[2], json::object{{"replicas", *n}});
  }
  return 2;
}

int cmd_rollout(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() != 4 || (p[2] != "service" && p[2] != "services" && p[2] != "svc"))
    return std::cerr << *command_help("rollout"), 2;
  const std::string& verb = p[1];
  if (verb != "status" && verb != "restart" && verb != "rollback" && verb != "stop" &&
      verb != "start")
    return s.error("unknown rollout action \"" + verb +
                   "\" (status, restart, rollback, stop, start)");
  json::object body;
  if (verb == "rollback" && s.args.has("to-version")) {
    auto n = s.args.get_int("to-version", 0, 1);
    if (!n)
      return s.error(n.error().message);
    body["version"] = *n;
  }
  return act(s, verb, p[3], body);
}

}  // namespace ris::cli
