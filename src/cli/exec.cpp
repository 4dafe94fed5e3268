// risctl exec: one task on every matching agent, output streamed live with each line prefixed
// by the agent's name, a summary per agent, and an exit code that says whether all succeeded.
// Output comes from /events/v1; a gap in a run's chunk numbers (a reconnect, a dropped event)
// is filled from the REST API, so every line is printed once and in order.
#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <set>

#include "events.hpp"
#include "help.hpp"
#include "output.hpp"
#include "session.hpp"

namespace ris::cli {
namespace json = boost::json;

namespace {
bool final_state(const std::string& s) {
  return s == "succeeded" || s == "failed" || s == "timed_out" || s == "cancelled" || s == "lost";
}

struct RunView {
  std::string agent_id, agent_name, state, error;
  int64_t next_chunk = 1;                                        // the chunk to print next
  std::map<int64_t, std::pair<std::string, std::string>> early;  // chunks ahead of a gap
  std::string partial[2];                                        // stdout, stderr
  std::string exit_code;
};

class Exec {
 public:
  Exec(Session& s, Api& api, std::string space_path)
      : s_(s), api_(api), space_(std::move(space_path)) {}

  // Creates the task (POST `path` with `body`, answering the task or {"task_id"}) and follows it.
  int run(const std::string& path, const json::object& body) {
    if (const auto* t = body.if_contains("ttl_seconds"); t && t->is_int64())
      ttl_ = t->as_int64();
    auto created = api_.call("POST", path, json::value(body));
    if (!created)
      return s_.error(created.error().message);
    task_ = created->as_object();
    if (task_.contains("task_id")) {  // an action that started a task (service logs)
      auto task = api_.call("GET", space_ + "/tasks/" + text(task_, "task_id"));
      if (!task)
        return s_.error(task.error().message);
      task_ = task->as_object();
    }
    task_id_ = text(task_, "id");
    load_agent_names();
    update_runs(task_);
    if (runs_.empty())
      return s_.error("no agent matches");
    if (s_.tty_err)
      std::cerr << "Task " << task_id_ << " on " << runs_.size() << " agent"
                << (runs_.size() == 1 ? "" : "s") << "\n";
    // An offline agent's run waits for it (up to the task's ttl): say so rather than hang.
    for (const auto& [id, r] : runs_)
      if (r.state == "pending")
        std::cerr << r.agent_name << " is offline: its run starts when it connects"
                  << (ttl_ > 0 ? " (given up after " + std::to_string(ttl_) + " s)" : "") << "\n";

    // The token first: asking for it finds a server that answers, whose URL the events use.
    auto token = api_.access_token();
    auto tls = tls_for(api_.context());
    if (!tls || !token)
      return s_.error(!tls ? tls.error().message : token.error().message);
    Events events(api_.url(), *tls, *token);
    events.subscribe(json::object{
        {"topic", "task"}, {"space", space_.substr(space_.rfind('/') + 1)}, {"task", task_id_}});
    // Subscribed; what ran before the subscription took effect comes from the REST API.
    bool subscribed = false;
    auto last_poll = std::chrono::steady_clock::now();
    bool cancel_sent = false;
    while (true) {
      if (interrupted() && !cancel_sent) {
        cancel_sent = true;
        std::cerr << "\nCancelling task " << task_id_ << " (Ctrl-C again to leave at once)\n";
        if (auto c = api_.call("POST", space_ + "/tasks/" + task_id_ + "/cancel"); !c)
          std::cerr << "error: cancel failed: " << c.error().message << "\n";
      }
      auto e = events.next(std::chrono::milliseconds(250));
      if (e) {
        const std::string type = text(*e, "type");
        if (type == "subscribed" || type == "reconnected") {
          subscribed = true;
          catch_up_all();
        } else if (type == "run_output") {
          on_output(*e);
        } else if (type == "run_state") {
          if (auto it = runs_.find(text(*e, "run")); it != runs_.end())
            it->second.state = text(*e, "state");
          if (final_state(text(*e, "state")) || runs_.find(text(*e, "run")) == runs_.end())
            refresh_task();  // exit codes and errors; new runs (retries, failover)
        } else if (renew_token_if_refused(events, api_, *e)) {
        } else if (type == "error") {
          std::cerr << "warning: live output unavailable (" << text(*e, "message")
                    << "); following by polling\n";
        }
      }
      // Polling backs the live feed up: final states are never missed.
      if (std::chrono::steady_clock::now() - last_poll > std::chrono::seconds(subscribed ? 2 : 1)) {
        last_poll = std::chrono::steady_clock::now();
        refresh_task();
        if (!subscribed)
          catch_up_all();
      }
      progress();
      if (all_final())
        break;
    }
    catch_up_all();
    for (auto& [id, r] : runs_)
      flush_partial(r);
    if (progress_shown_)
      std::cerr << "\r\033[K";
    return summary(cancel_sent);
  }

 private:
  void load_agent_names() {
    if (auto list = api_.call("GET", space_ + "/agents"))
      for (const auto& a : list->as_object().at("items").as_array())
        names_[text(a.as_object(), "id")] = text(a.as_object(), "name");
  }

  void update_runs(const json::object& task) {
    const auto* runs = task.if_contains("runs");
    if (!runs || !runs->is_array())
      return;
    for (const auto& rv : runs->as_array()) {
      const auto& r = rv.as_object();
      auto [it, added] = runs_.try_emplace(text(r, "id"));
      RunView& v = it->second;
      if (added) {
        v.agent_id = text(r, "agent_id");
        v.agent_name = names_.contains(v.agent_id) ? names_[v.agent_id] : v.agent_id;
        width_ = std::max(width_, v.agent_name.size());
      }
      v.state = text(r, "state");
      v.exit_code = text(r, "exit_code");
      v.error = text(r, "error");
    }
  }

  void refresh_task() {
    if (auto t = api_.call("GET", space_ + "/tasks/" + task_id_))
      update_runs(t->as_object());
  }

  bool all_final() const {
    for (const auto& [id, r] : runs_)
      if (!final_state(r.state))
        return false;
    return true;
  }

  // Prints every chunk of every run not printed yet, from the REST API.
  void catch_up_all() {
    for (auto& [id, r] : runs_)
      catch_up(id, r);
  }
  void catch_up(const std::string& run_id, RunView& r) {
    auto out = api_.call(
        "GET", space_ + "/runs/" + run_id + "/output?after=" + std::to_string(r.next_chunk - 1));
    if (!out)
      return;
    for (const auto& c : out->as_object().at("items").as_array()) {
      const auto& o = c.as_object();
      const int64_t seq = o.at("seq").as_int64();
      if (seq == r.next_chunk) {
        print_chunk(r, text(o, "stream"), text(o, "data"));
        ++r.next_chunk;
      }
    }
    drain_early(r);
  }

  void on_output(const json::object& e) {
    auto it = runs_.find(text(e, "run"));
    if (it == runs_.end()) {
      refresh_task();
      it = runs_.find(text(e, "run"));
      if (it == runs_.end())
        return;
    }
    RunView& r = it->second;
    const int64_t seq = e.at("seq").as_int64();
    if (seq < r.next_chunk)
      return;  // printed already
    if (seq > r.next_chunk) {
      r.early[seq] = {text(e, "stream"), text(e, "data")};
      catch_up(it->first, r);  // the gap comes from the store
      return;
    }
    print_chunk(r, text(e, "stream"), text(e, "data"));
    ++r.next_chunk;
    drain_early(r);
  }

  void drain_early(RunView& r) {
    while (!r.early.empty() && r.early.begin()->first <= r.next_chunk) {
      auto node = r.early.extract(r.early.begin());
      if (node.key() == r.next_chunk) {
        print_chunk(r, node.mapped().first, node.mapped().second);
        ++r.next_chunk;
      }
    }
  }

  std::string prefix(const RunView& r) {
    static const int colours[] = {36, 33, 35, 32, 34, 96, 93, 95, 92, 94};
    std::string name = r.agent_name;
    name.resize(width_, ' ');
    size_t h = std::hash<std::string>{}(r.agent_id);
    return s_.colour(colours[h % 10], name) + " | ";
  }

  // Whole lines go out prefixed; a partial line waits for its end (or the run's).
  void print_chunk(RunView& r, const std::string& stream, const std::string& data) {
    const int i = stream == "stderr" ? 1 : 0;
    r.partial[i] += data;
    size_t nl;
    while ((nl = r.partial[i].find('\n')) != std::string::npos) {
      emit(r, i, r.partial[i].substr(0, nl));
      r.partial[i].erase(0, nl + 1);
    }
    std::cout << std::flush;  // live, also into a pipe or a file
  }
  void flush_partial(RunView& r) {
    for (int i = 0; i < 2; ++i)
      if (!r.partial[i].empty()) {
        emit(r, i, r.partial[i]);
        r.partial[i].clear();
      }
  }
  void emit(RunView& r, int stream, const std::string& line) {
    if (progress_shown_) {
      std::cerr << "\r\033[K";
      progress_shown_ = false;
    }
    if (stream == 1) {
      std::cout << std::flush;  // keeps stdout and stderr lines in the order they came
      std::cerr << prefix(r) << line << "\n";
    } else {
      std::cout << prefix(r) << line << "\n";
    }
  }

  // "3/10 done" on a terminal with more than one agent, redrawn in place.
  void progress() {
    if (!s_.tty_err || runs_.size() < 2)
      return;
    size_t done = 0;
    for (const auto& [id, r] : runs_)
      done += final_state(r.state);
    std::cout << std::flush;
    std::cerr << "\r\033[K" << done << "/" << runs_.size() << " done" << std::flush;
    progress_shown_ = true;
  }

  int summary(bool cancelled) {
    std::map<std::string, int> counts;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [id, r] : runs_) {
      counts[r.state]++;
      rows.push_back({r.agent_name, r.state, r.exit_code, r.error});
    }
    std::cout << std::flush;
    std::cerr << "\n" << render_table({"agent", "state", "exit", "error"}, rows);
    std::string line;
    for (const auto& [state, n] : counts)
      line += (line.empty() ? "" : ", ") + std::to_string(n) + " " + state;
    std::cerr << line << "\n";
    if (cancelled)
      return 130;
    return counts.size() == 1 && counts.contains("succeeded") ? 0 : 1;
  }

  Session& s_;
  Api& api_;
  std::string space_, task_id_;
  json::object task_;
  std::map<std::string, std::string> names_;
  std::map<std::string, RunView> runs_;
  size_t width_ = 0;
  int64_t ttl_ = 0;
  bool progress_shown_ = false;
};
}  // namespace

int cmd_exec(Session& s) {
  if (s.args.positional.size() != 2 || !s.args.dashdash || s.args.command.empty())
    return std::cerr << *command_help("exec"), 2;
  const std::string selector = s.args.positional[1];
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  json::object parameters;
  if (s.args.has("script")) {
    std::string script;
    for (const auto& w : s.args.command)
      script += (script.empty() ? "" : " ") + w;
    parameters["script"] = script;
  } else {
    json::array argv;
    for (const auto& w : s.args.command)
      argv.emplace_back(w);
    parameters["argv"] = std::move(argv);
  }
  json::object target =
      selector == "all" ? json::object{{"all", true}} : json::object{{"selector", selector}};
  json::object body{{"type", "shell"},
                    {"parameters", std::move(parameters)},
                    {"target", std::move(target)},
                    {"mode", s.args.has("one") ? "one" : "all"}};
  auto timeout = s.args.get_int("timeout", 0, 1);
  // Someone waiting at a terminal: a run for an offline agent is given up after a minute
  // unless --ttl says otherwise (the API's default is an hour).
  auto ttl = s.args.get_int("ttl", 60, 1);
  if (!timeout || !ttl)
    return s.error(!timeout ? timeout.error().message : ttl.error().message);
  if (*timeout > 0)
    body["timeout_seconds"] = *timeout;
  body["ttl_seconds"] = *ttl;
  Exec exec(s, api, space);
  return exec.run(space + "/tasks", body);
}

int cmd_logs(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() != 3 || (p[1] != "service" && p[1] != "services" && p[1] != "svc"))
    return std::cerr << *command_help("logs"), 2;
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  auto tail = s.args.get_int("tail", 100);
  if (!tail)
    return s.error(tail.error().message);
  json::object body{{"tail", *tail}};
  if (s.args.has("follow"))
    body["follow"] = true;
  Exec exec(s, api, space);
  return exec.run(space + "/services/" + p[2] + "/logs", body);
}

}  // namespace ris::cli
