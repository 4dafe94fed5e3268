// risctl deploy validate|plan|apply FILE, status|history NAME (docs/deploy.md). Files are read
// here first, so validate needs no server and plan/apply show every problem with its line.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "help.hpp"
#include "output.hpp"
#include "ris/deploy/plan.hpp"
#include "ris/net/http.hpp"
#include "session.hpp"

namespace ris::cli {
namespace {

Result<std::string> read_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream in;
    in << std::cin.rdbuf();
    return in.str();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return fail(Errc::not_found, fmt::format("cannot read {}", path));
  std::ostringstream in;
  in << f.rdbuf();
  return in.str();
}

namespace json = boost::json;

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The deployment's name: --name, else the file's name without its extension.
std::string deployment_name(const Session& s, const std::string& file) {
  if (s.args.has("name"))
    return s.args.get("name");
  return std::filesystem::path(file).stem().string();
}

std::string env_query(const Session& s) {
  return s.args.has("env") ? "?environment=" + net::percent_encode(s.args.get("env")) : "";
}

// Where one revision of a deployment is read (revision numbers are per environment).
std::string revision_url(const std::string& space, const std::string& name, int64_t n,
                         const std::string& environment) {
  return fmt::format("{}/deployments/{}/revisions/{}?environment={}", space,
                     net::percent_encode(name), n, net::percent_encode(environment));
}

void print_steps(const json::object& revision) {
  for (const auto& v : revision.at("steps").as_array()) {
    const auto& st = v.as_object();
    std::cout << fmt::format("  wave {}  {:<20} {:<12} {:<9} {:<10} {}\n", st.at("wave").as_int64(),
                             str(st, "service"), str(st, "node"), str(st, "change"),
                             str(st, "state"), str(st, "detail"));
  }
}

// Follows a revision until it is applied or failed; each step's change printed once.
int follow(Session& s, Api& api, const std::string& url) {
  std::map<std::string, std::string> seen;
  while (!interrupted()) {
    auto r = api.call("GET", url);
    if (!r)
      return s.error(r.error().message);
    const auto& rev = r->as_object();
    for (const auto& v : rev.at("steps").as_array()) {
      const auto& st = v.as_object();
      const std::string key = str(st, "service") + "@" + str(st, "node");
      const std::string now = str(st, "phase") + " " + str(st, "state");
      if (seen[key] == now)
        continue;
      seen[key] = now;
      std::cout << fmt::format("wave {}  {} on {}: {} {}{}\n", st.at("wave").as_int64(),
                               str(st, "service"), str(st, "node"), str(st, "phase"),
                               str(st, "state"),
                               str(st, "detail").empty() ? "" : " (" + str(st, "detail") + ")")
                << std::flush;
    }
    const std::string state = str(rev, "state");
    if (state != "applying") {
      std::cout << fmt::format("revision {}: {}{}\n", rev.at("revision").as_int64(), state,
                               str(rev, "detail").empty() ? "" : ": " + str(rev, "detail"));
      if (state == "drifted")
        return 3;  // a drift check that found a file changed behind RIS's back
      return state == "applied" || state == "in_sync" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return 130;
}

// deploy secret set|list|rm: values go up once and never come back.
int secrets(Session& s, Api& api, const std::string& space) {
  const auto& p = s.args.positional;
  const std::string base = space + "/deploy-secrets";
  if (p[2] == "list") {
    auto r = api.call("GET", base);
    if (!r)
      return s.error(r.error().message);
    if (s.args.get("output") == "json")
      return std::cout << json::serialize(*r) << "\n", 0;
    for (const auto& v : r->as_object().at("items").as_array())
      std::cout << fmt::format("{:<32} updated {}\n", str(v.as_object(), "name"),
                               str(v.as_object(), "updated_at"));
    return 0;
  }
  if (p.size() < 4 || (p[2] != "set" && p[2] != "rm"))
    return std::cerr << *command_help("deploy"), 2;
  const std::string url = base + "/" + net::percent_encode(p[3]);
  if (p[2] == "rm") {
    auto r = api.call("DELETE", url);
    if (!r)
      return s.error(r.error().message);
    std::cout << fmt::format("secret {} removed\n", p[3]);
    return 0;
  }
  auto value = read_file(s.args.has("file") ? s.args.get("file") : "-");
  if (!value)
    return s.error(value.error().message);
  if (!s.args.has("file"))  // a value typed or piped ends at its line's end
    while (!value->empty() && (value->back() == '\n' || value->back() == '\r'))
      value->pop_back();
  auto r = api.call("PUT", url, json::value(json::object{{"value", *value}}));
  if (!r)
    return s.error(r.error().message);
  std::cout << fmt::format("secret {} set ({} bytes)\n", p[3], value->size());
  return 0;
}

int server_side(Session& s, const std::string& verb) {
  const auto& p = s.args.positional;
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  if (verb == "secret")
    return secrets(s, api, space);
  if (verb == "resume") {
    // The server goes on by itself after a restart (the journal); this follows it again.
    const std::string name = p[2];
    auto list = api.call(
        "GET", space + "/deployments/" + net::percent_encode(name) + "/revisions" + env_query(s));
    if (!list)
      return s.error(list.error().message);
    const auto& items = list->as_object().at("items").as_array();
    if (items.empty())
      return s.error(fmt::format("deployment {} has no revisions", name));
    const auto& latest = items[0].as_object();
    const std::string env = str(latest, "environment");
    std::cout << fmt::format("{} revision {}{}: {}\n", name, latest.at("revision").as_int64(),
                             env.empty() ? "" : " in " + env, str(latest, "state"));
    return follow(s, api, revision_url(space, name, latest.at("revision").as_int64(), env));
  }
  if (verb == "drift") {
    const std::string name = p[2];
    const std::string env = s.args.get("env");
    auto r =
        api.call("POST", fmt::format("{}/deployments/{}/drift", space, net::percent_encode(name)),
                 json::value(json::object{{"environment", env}, {"repair", s.args.has("repair")}}));
    if (!r)
      return s.error(r.error().message);
    const auto& o = r->as_object();
    std::cout << fmt::format("{} revision {}{}: checking {}\n", name, o.at("revision").as_int64(),
                             env.empty() ? "" : " in " + env, str(o, "detail"));
    return follow(s, api, revision_url(space, name, o.at("revision").as_int64(), env));
  }
  if (verb == "rollback") {
    const std::string name = p[2];
    int64_t to = 0;
    try {
      to = std::stoll(s.args.get("to"));
    } catch (const std::exception&) {
      return s.error("give the revision to return to: --to N (risctl deploy history " + name + ")");
    }
    const std::string env = s.args.get("env");
    auto r = api.call("POST",
                      fmt::format("{}/deployments/{}/rollback", space, net::percent_encode(name)),
                      json::value(json::object{{"to", to}, {"environment", env}}));
    if (!r)
      return s.error(r.error().message);
    const auto& o = r->as_object();
    std::cout << fmt::format("{} revision {}{}: applying (returns to revision {})\n", name,
                             o.at("revision").as_int64(), env.empty() ? "" : " in " + env, to);
    if (s.args.has("no-wait"))
      return 0;
    return follow(s, api, revision_url(space, name, o.at("revision").as_int64(), env));
  }
  if (verb == "status" || verb == "history") {
    const std::string name = p[2];
    auto list = api.call(
        "GET", space + "/deployments/" + net::percent_encode(name) + "/revisions" + env_query(s));
    if (!list)
      return s.error(list.error().message);
    const auto& items = list->as_object().at("items").as_array();
    if (items.empty())
      return s.error(fmt::format("deployment {} has no revisions{}", name,
                                 s.args.has("env") ? " in " + s.args.get("env") : ""));
    if (verb == "history") {
      if (s.args.get("output") == "json")
        return std::cout << json::serialize(items) << "\n", 0;
      for (const auto& v : items) {
        const auto& r = v.as_object();
        std::cout << fmt::format("{:>4}  {:<10} {:<9} {}  {}  {}\n", r.at("revision").as_int64(),
                                 str(r, "environment").empty() ? "-" : str(r, "environment"),
                                 str(r, "state"), str(r, "created_at"),
                                 str(r, "plan_hash").substr(0, 19), str(r, "detail"));
      }
      return 0;
    }
    const auto& latest = items[0].as_object();
    auto rev = api.call(
        "GET", fmt::format("{}/deployments/{}/revisions/{}{}", space, net::percent_encode(name),
                           latest.at("revision").as_int64(),
                           "?environment=" + net::percent_encode(str(latest, "environment"))));
    if (!rev)
      return s.error(rev.error().message);
    if (s.args.get("output") == "json")
      return std::cout << json::serialize(*rev) << "\n", 0;
    const auto& r = rev->as_object();
    std::cout << fmt::format("{} revision {}{}: {}{}\n", name, r.at("revision").as_int64(),
                             str(r, "environment").empty() ? "" : " in " + str(r, "environment"),
                             str(r, "state"),
                             str(r, "detail").empty() ? "" : " (" + str(r, "detail") + ")");
    print_steps(r);
    return 0;
  }
  return 2;
}

// deploy diff FILE A B: what going from environment A to B changes, service by service.
int diff(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() < 5)
    return std::cerr << *command_help("deploy"), 2;
  auto text = read_file(p[2]);
  if (!text)
    return s.error(text.error().message);
  std::optional<deploy::Deployment> sides[2];
  for (int i = 0; i < 2; ++i) {
    auto read = deploy::read_deployment(*text, p[3 + i]);
    if (!read.deployment) {
      std::cerr << deploy::format_diagnostics(p[2], read.diagnostics);
      return 1;
    }
    sides[i] = std::move(read.deployment);
  }
  deploy::Live from;
  for (const auto& svc : sides[0]->services)
    from[svc.name] = svc.spec;
  const auto plan = deploy::make_plan(*sides[1], from);
  if (s.args.get("output") == "json")
    return std::cout << json::serialize(deploy::to_json(plan)) << "\n", 0;
  std::cout << fmt::format("{} → {}\n", p[3], p[4]);
  size_t differ = 0;
  for (const auto& wave : plan.waves)
    for (const auto& st : wave) {
      if (st.change == deploy::Change::unchanged)
        continue;
      ++differ;
      std::string fields;
      for (const auto& f : st.fields)
        fields += (fields.empty() ? ": " : ", ") + f;
      const std::string what = st.change == deploy::Change::create   ? "only in " + p[4]
                               : st.change == deploy::Change::remove ? "only in " + p[3]
                                                                     : "differs";
      std::cout << fmt::format("  {:<24} {}{}\n", st.service, what, fields);
    }
  if (differ == 0)
    std::cout << "  the same services with the same values\n";
  return 0;
}

}  // namespace

int cmd_deploy(Session& s) {
  const auto& p = s.args.positional;
  static const std::set<std::string> verbs{"validate", "plan",  "apply",  "diff",    "rollback",
                                           "resume",   "drift", "status", "history", "secret"};
  if (p.size() < 3 || !verbs.contains(p[1]))
    return std::cerr << *command_help("deploy"), 2;
  if (p[1] == "status" || p[1] == "history" || p[1] == "rollback" || p[1] == "secret" ||
      p[1] == "drift" || p[1] == "resume")
    return server_side(s, p[1]);
  if (p[1] == "diff")
    return diff(s);
  const std::string& file = p[2];
  auto text = read_file(file);
  if (!text)
    return s.error(text.error().message);
  const std::string env = s.args.get("env");
  const auto read = deploy::read_deployment(*text, env);
  if (!read.deployment) {
    std::cerr << deploy::format_diagnostics(file == "-" ? "<stdin>" : file, read.diagnostics);
    std::cerr << fmt::format("{}: {} problem{}\n", file, read.diagnostics.size(),
                             read.diagnostics.size() == 1 ? "" : "s");
    return 1;
  }
  const auto& d = *read.deployment;
  if (p[1] == "plan" || p[1] == "apply") {
    // Checked here first (every problem with its line); then planned against what is applied.
    auto opened = s.space_api();
    if (!opened)
      return s.error(opened.error().message);
    auto& [api, space] = *opened;
    const std::string name = deployment_name(s, file);
    json::object body{{"file", *text}, {"environment", env}};
    if (p[1] == "apply" && s.args.has("plan-hash"))
      body["plan_hash"] = s.args.get("plan-hash");
    if (p[1] == "apply" && s.args.has("on-failure"))
      body["on_failure"] = s.args.get("on-failure");
    auto r = api.call("POST",
                      fmt::format("{}/deployments/{}/{}", space, net::percent_encode(name), p[1]),
                      json::value(body));
    if (!r)
      return s.error(r.error().message);
    const auto& o = r->as_object();
    if (p[1] == "apply") {
      const std::string url = revision_url(space, name, o.at("revision").as_int64(), env);
      std::cout << fmt::format("{} revision {}{}: applying ({})\n", name,
                               o.at("revision").as_int64(), env.empty() ? "" : " in " + env,
                               str(o, "plan_hash"));
      if (s.args.has("no-wait"))
        return 0;
      return follow(s, api, url);
    }
    if (s.args.get("output") == "json")
      return std::cout << json::serialize(o) << "\n", 0;
    const int64_t against = o.at("compared_with_revision").as_int64();
    std::cout << fmt::format("plan {} of {}{}\n", str(o, "hash"), name,
                             env.empty() ? "" : " for " + env);
    std::cout << (against == 0 ? std::string("compared with: nothing applied yet\n")
                               : fmt::format("compared with: revision {}\n", against));
    const auto& waves = o.at("waves").as_array();
    for (size_t w = 0; w < waves.size(); ++w) {
      std::cout << fmt::format("wave {}:\n", w + 1);
      for (const auto& v : waves[w].as_array()) {
        const auto& st = v.as_object();
        std::string fields;
        if (const auto* f = st.if_contains("fields"))
          for (const auto& x : f->as_array())
            fields += (fields.empty() ? ": " : ", ") + std::string(x.as_string());
        const std::string change = str(st, "change");
        const char m = change == "create"   ? '+'
                       : change == "update" ? '~'
                       : change == "remove" ? '-'
                                            : '=';
        std::string on;
        if (const auto* n = st.if_contains("nodes"); n && n->is_array())
          for (const auto& x : n->as_array())
            on += (on.empty() ? " on " : ", ") + std::string(x.as_string());
        std::cout << fmt::format("  {} {:<24} {}{}{}\n", m, str(st, "service"), change, on, fields);
      }
    }
    return 0;
  }
  if (s.args.has("check-hosts")) {
    // The server reaches each SSH node with its key secret and pinned host key.
    auto opened = s.space_api();
    if (!opened)
      return s.error(opened.error().message);
    auto& [api, space] = *opened;
    auto r = api.call(
        "POST", space + "/deployments/validate",
        json::value(json::object{{"file", *text}, {"environment", env}, {"check_hosts", true}}));
    if (!r)
      return s.error(fmt::format("{}: {}", file, r.error().message));
  }
  const auto plan = deploy::make_plan(d, {});
  std::cout << fmt::format("{}: valid{}: {} nodes, {} services in {} waves\n", file,
                           env.empty() ? "" : " for " + env, d.nodes.size(), d.services.size(),
                           plan.waves.size());
  return 0;
}

}  // namespace ris::cli
