// Reading a deployment file: environment overlay, variables, then every node and service
// checked, dependencies resolved and cycles named. Problems are collected, never thrown.
#include "ris/deploy/deployment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <functional>
#include <set>

#include "ris/services/spec.hpp"
#include "yaml_tree.hpp"

namespace ris::deploy {
namespace json = boost::json;
using detail::Tree;

namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 63 ||
      !(std::islower(static_cast<unsigned char>(n[0])) ||
        std::isdigit(static_cast<unsigned char>(n[0]))))
    return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string_view kind_name(Tree::Kind k) {
  switch (k) {
    case Tree::Kind::null:
      return "nothing";
    case Tree::Kind::scalar:
      return "a value";
    case Tree::Kind::map:
      return "a mapping";
    case Tree::Kind::seq:
      return "a list";
  }
  return "?";
}

class Reader {
 public:
  std::vector<Diagnostic> diags;

  void error(Position at, std::string path, std::string message) {
    diags.push_back({at, path.empty() ? message : fmt::format("{}: {}", path, message)});
  }

  bool want(const Tree& t, Tree::Kind k, const std::string& path) {
    if (t.kind == k)
      return true;
    std::string_view expected = k == Tree::Kind::map   ? "a mapping"
                                : k == Tree::Kind::seq ? "a list"
                                                       : "a value";
    error(t.at, path, fmt::format("expected {}, found {}", expected, kind_name(t.kind)));
    return false;
  }

  // Unknown keys are refused: a misspelt field must not be silently ignored.
  void allow_only(const Tree& map, std::initializer_list<std::string_view> allowed,
                  const std::string& path) {
    for (size_t i = 0; i < map.map.size(); ++i) {
      const std::string& k = map.map[i].first;
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end())
        continue;
      std::string list;
      for (auto a : allowed)
        list += list.empty() ? std::string(a) : fmt::format(", {}", a);
      error(map.key_at[i], path, fmt::format("unknown field '{}' (expected one of: {})", k, list));
    }
  }

  std::optional<std::string> text(const Tree* t, const std::string& path, bool required) {
    if (t == nullptr || t->kind == Tree::Kind::null) {
      if (required)
        error(t != nullptr ? t->at : Position{}, path, "required");
      return std::nullopt;
    }
    if (!want(*t, Tree::Kind::scalar, path))
      return std::nullopt;
    return t->scalar;
  }

  std::optional<int64_t> integer(const Tree* t, const std::string& path, int64_t min, int64_t max) {
    auto s = text(t, path, false);
    if (!s)
      return std::nullopt;
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc() || end != s->data() + s->size() || t->quoted) {
      error(t->at, path, fmt::format("'{}' is not a whole number", *s));
      return std::nullopt;
    }
    if (v < min || v > max) {
      error(t->at, path, fmt::format("{} is out of range ({} to {})", v, min, max));
      return std::nullopt;
    }
    return v;
  }
};

// ${name} → the variable; ${secret:name} stays (the executor resolves it); $$ → $.
void substitute(Tree& t, const std::map<std::string, std::string>& vars,
                const std::string& environment, Reader& r, const std::string& path) {
  if (t.kind == Tree::Kind::map) {
    for (auto& [k, v] : t.map)
      substitute(v, vars, environment, r, path + "." + k);
    return;
  }
  if (t.kind == Tree::Kind::seq) {
    for (size_t i = 0; i < t.seq.size(); ++i)
      substitute(t.seq[i], vars, environment, r, fmt::format("{}[{}]", path, i));
    return;
  }
  if (t.kind != Tree::Kind::scalar || t.scalar.find('$') == std::string::npos)
    return;
  std::string out;
  const std::string& s = t.scalar;
  bool replaced = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    if (s[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (s[i + 1] != '{') {
      out += s[i];
      continue;
    }
    const size_t close = s.find('}', i + 2);
    if (close == std::string::npos) {
      r.error(t.at, path, "'${' without its closing '}' (write $$ for a literal $)");
      return;
    }
    const std::string name = s.substr(i + 2, close - i - 2);
    if (name.starts_with("secret:")) {
      out += s.substr(i, close - i + 1);
    } else if (auto it = vars.find(name); it != vars.end()) {
      out += it->second;
      replaced = true;
    } else {
      r.error(t.at, path,
              environment.empty()
                  ? fmt::format("variable '{}' is not set (under variables:)", name)
                  : fmt::format("variable '{}' is not set for environment '{}' (under variables: "
                                "or environments.{}.variables:)",
                                name, environment, environment));
      out += s.substr(i, close - i + 1);
    }
    i = close;
  }
  t.scalar = std::move(out);
  if (replaced)
    t.quoted = true;  // what a variable gave is text, whatever it looks like
}

// A plain scalar as YAML 1.2's core schema reads it; quoted ones stay strings.
json::value to_json_value(const Tree& t) {
  switch (t.kind) {
    case Tree::Kind::null:
      return nullptr;
    case Tree::Kind::scalar: {
      if (t.quoted)
        return json::string(t.scalar);
      const std::string& s = t.scalar;
      if (s == "true" || s == "True" || s == "TRUE")
        return true;
      if (s == "false" || s == "False" || s == "FALSE")
        return false;
      if (s == "null" || s == "~" || s == "Null" || s == "NULL")
        return nullptr;
      int64_t i = 0;
      if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
          ec == std::errc() && end == s.data() + s.size())
        return i;
      double d = 0;
      if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
          ec == std::errc() && end == s.data() + s.size() && !s.empty())
        return d;
      return json::string(s);
    }
    case Tree::Kind::seq: {
      json::array a;
      for (const auto& e : t.seq)
        a.push_back(to_json_value(e));
      return a;
    }
    case Tree::Kind::map: {
      std::vector<std::pair<std::string, const Tree*>> sorted;
      for (const auto& [k, v] : t.map)
        sorted.emplace_back(k, &v);
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      json::object o;
      for (const auto& [k, v] : sorted)
        o[k] = to_json_value(*v);
      return o;
    }
  }
  return nullptr;
}

std::optional<NodeDef> read_node(const std::string& name, const Tree& t, Position key_at,
                                 Reader& r) {
  const std::string path = "nodes." + name;
  if (!valid_name(name))
    r.error(key_at, path, "a node name is 1 to 63 lower-case letters, digits, '-' or '_'");
  if (!r.want(t, Tree::Kind::map, path))
    return std::nullopt;
  r.allow_only(t, {"agent", "selector", "ssh"}, path);
  NodeDef n;
  n.name = name;
  n.at = key_at;
  const int given =
      (t.find("agent") != nullptr) + (t.find("selector") != nullptr) + (t.find("ssh") != nullptr);
  if (given != 1) {
    r.error(key_at, path, "give exactly one of agent (an id or name), selector (labels) or ssh");
    return std::nullopt;
  }
  if (const Tree* a = t.find("agent")) {
    n.kind = NodeKind::agent;
    if (auto v = r.text(a, path + ".agent", true))
      n.agent = *v;
  } else if (const Tree* s = t.find("selector")) {
    n.kind = NodeKind::selector;
    if (r.want(*s, Tree::Kind::map, path + ".selector")) {
      if (s->map.empty())
        r.error(s->at, path + ".selector", "give at least one label (key: value)");
      for (const auto& [k, v] : s->map)
        if (auto value = r.text(&v, path + ".selector." + k, true))
          n.selector[k] = *value;
    }
  } else {
    const Tree& ssh = *t.find("ssh");
    const std::string sp = path + ".ssh";
    n.kind = NodeKind::ssh;
    if (!r.want(ssh, Tree::Kind::map, sp))
      return n;
    r.allow_only(ssh, {"address", "port", "user", "key", "host_key"}, sp);
    n.ssh.address = r.text(ssh.find("address"), sp + ".address", true).value_or("");
    if (ssh.find("address") == nullptr)
      r.error(ssh.at, sp, "address is required");
    n.ssh.port = static_cast<int>(r.integer(ssh.find("port"), sp + ".port", 1, 65535).value_or(22));
    n.ssh.user = r.text(ssh.find("user"), sp + ".user", true).value_or("");
    if (ssh.find("user") == nullptr)
      r.error(ssh.at, sp, "user is required");
    const Tree* key = ssh.find("key");
    if (key == nullptr) {
      r.error(ssh.at, sp, "key is required: a space secret, as secret:NAME");
    } else if (auto k = r.text(key, sp + ".key", true)) {
      std::string_view ref = *k;
      if (ref.starts_with("${secret:") && ref.ends_with("}"))
        ref = ref.substr(2, ref.size() - 3);
      if (!ref.starts_with("secret:") || ref.size() == 7)
        r.error(key->at, sp + ".key",
                "a private key is never written in the file: give a space secret, as "
                "secret:NAME");
      else
        n.ssh.key_secret = std::string(ref.substr(7));
    }
    const Tree* hk = ssh.find("host_key");
    if (hk == nullptr) {
      r.error(ssh.at, sp,
              "host_key is required (the SHA256 fingerprint `ssh-keygen -lf` prints): a host "
              "is never trusted on first use");
    } else if (auto h = r.text(hk, sp + ".host_key", true)) {
      if (!h->starts_with("SHA256:") || h->size() < 20)
        r.error(hk->at, sp + ".host_key",
                fmt::format("'{}' is not a SHA256 fingerprint (SHA256:…, as ssh-keygen -lf "
                            "prints it)",
                            *h));
      n.ssh.host_key = *h;
    }
  }
  return n;
}

void check_health(const Tree& h, const std::string& path, Reader& r) {
  if (!r.want(h, Tree::Kind::map, path))
    return;
  r.allow_only(h, {"command", "http", "interval_seconds", "timeout_seconds", "retries"}, path);
  const bool command = h.find("command") != nullptr;
  const bool http = h.find("http") != nullptr;
  if (command == http)
    r.error(h.at, path, "give exactly one of command (exit 0 is healthy) or http (a URL)");
  if (command)
    r.text(h.find("command"), path + ".command", true);
  if (http) {
    if (auto u = r.text(h.find("http"), path + ".http", true);
        u && !u->starts_with("http://") && !u->starts_with("https://"))
      r.error(h.find("http")->at, path + ".http",
              fmt::format("'{}' is not an http:// or https:// URL", *u));
  }
  const auto interval = r.integer(h.find("interval_seconds"), path + ".interval_seconds", 1, 3600);
  const auto timeout = r.integer(h.find("timeout_seconds"), path + ".timeout_seconds", 1, 3600);
  r.integer(h.find("retries"), path + ".retries", 0, 100);
  if (interval && timeout && *timeout > *interval)
    r.error(h.find("timeout_seconds")->at, path + ".timeout_seconds",
            "must not be longer than interval_seconds");
}

void check_mode(const Tree* m, const std::string& path, Reader& r) {
  auto v = r.text(m, path, false);
  if (!v)
    return;
  const bool octal = v->size() >= 3 && v->size() <= 4 &&
                     std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '7'; });
  if (!octal || !m->quoted)
    r.error(m->at, path,
            fmt::format("'{}': write the mode as a quoted octal string, as \"0644\"", *v));
}

void check_file(const Tree& f, const std::string& path, Reader& r, bool reload) {
  if (!r.want(f, Tree::Kind::map, path))
    return;
  if (reload)
    r.allow_only(f, {"path", "content", "template", "mode", "owner", "reload"}, path);
  else
    r.allow_only(f, {"path", "content", "mode", "owner"}, path);
  if (f.find("path") == nullptr)
    r.error(f.at, path, "path is required");
  else if (auto p = r.text(f.find("path"), path + ".path", true); p && !p->starts_with("/"))
    r.error(f.find("path")->at, path + ".path", fmt::format("'{}' is not an absolute path", *p));
  const bool content = f.find("content") != nullptr;
  const bool tmpl = f.find("template") != nullptr;
  if (content == tmpl)
    r.error(f.at, path, reload ? "give exactly one of content or template" : "content is required");
  r.text(f.find("content"), path + ".content", false);
  r.text(f.find("template"), path + ".template", false);
  check_mode(f.find("mode"), path + ".mode", r);
  r.text(f.find("owner"), path + ".owner", false);
  if (reload)
    r.text(f.find("reload"), path + ".reload", false);
}

std::optional<ServiceDef> read_service(const std::string& name, const Tree& t, Position key_at,
                                       Reader& r) {
  const std::string path = "services." + name;
  if (!valid_name(name))
    r.error(key_at, path, "a service name is 1 to 63 lower-case letters, digits, '-' or '_'");
  if (!r.want(t, Tree::Kind::map, path))
    return std::nullopt;
  r.allow_only(t, {"kind", "on", "depends_on", "health", "rollout", "docker", "shell", "config"},
               path);
  ServiceDef s;
  s.name = name;
  s.at = key_at;
  const Tree* kind = t.find("kind");
  const auto k = r.text(kind, path + ".kind", false);
  if (kind == nullptr) {
    r.error(key_at, path, "kind is required: docker, shell or config");
    return std::nullopt;
  }
  if (!k)
    return std::nullopt;
  if (*k == "docker") {
    s.kind = ServiceKind::docker;
  } else if (*k == "shell") {
    s.kind = ServiceKind::shell;
  } else if (*k == "config") {
    s.kind = ServiceKind::config;
  } else {
    r.error(kind->at, path + ".kind", fmt::format("'{}': use docker, shell or config", *k));
    return std::nullopt;
  }
  for (std::string_view other : {"docker", "shell", "config"})
    if (other != *k && t.find(other) != nullptr)
      r.error(t.find(other)->at, path + "." + std::string(other),
              fmt::format("a {} service has no {} section", *k, other));

  // on: a node or a list of nodes.
  if (const Tree* on = t.find("on"); on == nullptr) {
    r.error(key_at, path, "on is required: the nodes it runs on");
  } else if (on->kind == Tree::Kind::scalar) {
    s.on.push_back(on->scalar);
  } else if (r.want(*on, Tree::Kind::seq, path + ".on")) {
    if (on->seq.empty())
      r.error(on->at, path + ".on", "give at least one node");
    for (size_t i = 0; i < on->seq.size(); ++i)
      if (auto n = r.text(&on->seq[i], fmt::format("{}.on[{}]", path, i), true))
        s.on.push_back(*n);
  }

  if (const Tree* deps = t.find("depends_on")) {
    if (r.want(*deps, Tree::Kind::seq, path + ".depends_on")) {
      for (size_t i = 0; i < deps->seq.size(); ++i) {
        const Tree& d = deps->seq[i];
        const std::string dp = fmt::format("{}.depends_on[{}]", path, i);
        Dependency dep;
        dep.at = d.at;
        if (d.kind == Tree::Kind::scalar) {
          dep.service = d.scalar;
        } else if (r.want(d, Tree::Kind::map, dp)) {
          r.allow_only(d, {"service", "condition"}, dp);
          dep.service = r.text(d.find("service"), dp + ".service", true).value_or("");
          if (d.find("service") == nullptr)
            r.error(d.at, dp, "service is required");
          if (auto c = r.text(d.find("condition"), dp + ".condition", false)) {
            if (*c == "healthy")
              dep.condition = Condition::healthy;
            else if (*c == "completed")
              dep.condition = Condition::completed;
            else if (*c == "started")
              dep.condition = Condition::started;
            else
              r.error(d.find("condition")->at, dp + ".condition",
                      fmt::format("'{}': use started, healthy or completed", *c));
          }
        } else {
          continue;
        }
        if (!dep.service.empty())
          s.depends_on.push_back(dep);
      }
    }
  }

  const Tree* health = t.find("health");
  if (health != nullptr)
    check_health(*health, path + ".health", r);

  const Tree* rollout = t.find("rollout");
  if (rollout != nullptr && r.want(*rollout, Tree::Kind::map, path + ".rollout")) {
    r.allow_only(*rollout, {"batch_size", "max_failure_percent"}, path + ".rollout");
    r.integer(rollout->find("batch_size"), path + ".rollout.batch_size", 1, 10000);
    r.integer(rollout->find("max_failure_percent"), path + ".rollout.max_failure_percent", 0, 100);
  }

  const Tree* section = t.find(*k);
  const std::string sp = path + "." + *k;
  if (section == nullptr) {
    r.error(key_at, path, fmt::format("a {} service needs its {} section", *k, *k));
  } else if (r.want(*section, Tree::Kind::map, sp)) {
    if (s.kind == ServiceKind::docker) {
      for (std::string_view placed : {"name", "target_agents", "target_selector"})
        if (const Tree* p = section->find(placed))
          r.error(p->at, sp + "." + std::string(placed),
                  "set by the deployment (the service's name and its on: nodes)");
      json::object spec = to_json_value(*section).as_object();
      spec["name"] = name;
      if (auto parsed = services::parse_service_spec(spec); !parsed)
        r.error(section->at, sp, parsed.error().message);
    } else if (s.kind == ServiceKind::shell) {
      r.allow_only(*section, {"install", "start", "stop", "files"}, sp);
      if (section->find("start") == nullptr)
        r.error(section->at, sp, "start is required (the command that starts it)");
      for (std::string_view c : {"install", "start", "stop"})
        r.text(section->find(c), sp + "." + std::string(c), false);
      if (const Tree* files = section->find("files");
          files != nullptr && r.want(*files, Tree::Kind::seq, sp + ".files"))
        for (size_t i = 0; i < files->seq.size(); ++i)
          check_file(files->seq[i], fmt::format("{}.files[{}]", sp, i), r, false);
    } else {
      check_file(*section, sp, r, true);
    }
  }

  json::object spec;
  spec["kind"] = *k;
  json::array on;
  for (const auto& n : s.on)
    on.emplace_back(n);
  spec["on"] = std::move(on);
  json::array deps;
  for (const auto& d : s.depends_on)
    deps.push_back(json::object{{"service", d.service}, {"condition", name_of(d.condition)}});
  spec["depends_on"] = std::move(deps);
  if (health != nullptr)
    spec["health"] = to_json_value(*health);
  if (rollout != nullptr)
    spec["rollout"] = to_json_value(*rollout);
  if (section != nullptr)
    spec[*k] = to_json_value(*section);
  s.spec = std::move(spec);
  return s;
}

// Every cycle once, named "a → b → c → a", at the dependency that closes it.
void check_cycles(const std::vector<ServiceDef>& services, Reader& r) {
  std::map<std::string, const ServiceDef*> by_name;
  for (const auto& s : services)
    by_name[s.name] = &s;
  std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
  std::vector<std::string> stack;
  std::set<std::set<std::string>> reported;
  std::function<void(const ServiceDef&)> visit = [&](const ServiceDef& s) {
    state[s.name] = 1;
    stack.push_back(s.name);
    for (const auto& d : s.depends_on) {
      auto it = by_name.find(d.service);
      if (it == by_name.end() || d.service == s.name)  // both reported on their own
        continue;
      if (state[d.service] == 1) {
        const auto from = std::find(stack.begin(), stack.end(), d.service);
        std::set<std::string> members(from, stack.end());
        if (!reported.insert(members).second)
          continue;
        std::string cycle;
        for (auto i = from; i != stack.end(); ++i)
          cycle += *i + " → ";
        cycle += d.service;
        r.error(d.at, fmt::format("services.{}.depends_on", s.name),
                fmt::format("dependency cycle: {}", cycle));
      } else if (state[d.service] == 0) {
        visit(*it->second);
      }
    }
    stack.pop_back();
    state[s.name] = 2;
  };
  for (const auto& s : services)
    if (state[s.name] == 0)
      visit(s);
}

}  // namespace

std::string_view name_of(ServiceKind k) {
  switch (k) {
    case ServiceKind::docker:
      return "docker";
    case ServiceKind::shell:
      return "shell";
    case ServiceKind::config:
      return "config";
  }
  return "?";
}

std::string_view name_of(Condition c) {
  switch (c) {
    case Condition::started:
      return "started";
    case Condition::healthy:
      return "healthy";
    case Condition::completed:
      return "completed";
  }
  return "?";
}

std::string format_diagnostics(std::string_view file, const std::vector<Diagnostic>& d) {
  std::vector<Diagnostic> sorted = d;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
  });
  std::string out;
  for (const auto& x : sorted)
    out += fmt::format("{}:{}:{}: {}\n", file, x.at.line, x.at.column, x.message);
  return out;
}

Read read_deployment(std::string_view text, std::string_view environment) {
  Read out;
  auto loaded = detail::load_yaml(text);
  if (!loaded.tree) {
    out.diagnostics = std::move(loaded.errors);
    return out;
  }
  Tree root = std::move(*loaded.tree);
  Reader r;
  if (root.kind == Tree::Kind::null) {
    r.error({1, 1}, "", "the file is empty: give nodes: and services:");
    out.diagnostics = std::move(r.diags);
    return out;
  }
  if (!r.want(root, Tree::Kind::map, "the file")) {
    out.diagnostics = std::move(r.diags);
    return out;
  }
  r.allow_only(root, {"version", "on_failure", "variables", "nodes", "services", "environments"},
               "");
  if (const Tree* v = root.find("version"))
    r.integer(v, "version", 1, 1);

  // The environment's values over the base ones.
  const std::string env(environment);
  if (const Tree* envs = root.find("environments");
      envs != nullptr && r.want(*envs, Tree::Kind::map, "environments")) {
    for (const auto& [name, e] : envs->map)
      if (r.want(e, Tree::Kind::map, "environments." + name))
        r.allow_only(e, {"on_failure", "variables", "nodes", "services"}, "environments." + name);
    if (!env.empty()) {
      if (const Tree* chosen = envs->find(env); chosen == nullptr) {
        std::string names;
        for (const auto& [name, e] : envs->map)
          names += names.empty() ? name : ", " + name;
        r.error(envs->at, "environments",
                fmt::format("no environment '{}' (the file has: {})", env, names));
      } else if (chosen->is_map()) {
        if (const Tree* f = chosen->find("on_failure")) {
          if (Tree* mine = root.find("on_failure"))
            *mine = *f;
          else {
            root.map.push_back({"on_failure", *f});
            root.key_at.push_back(f->at);
          }
        }
        for (std::string_view part : {"variables", "nodes", "services"}) {
          const Tree* over = chosen->find(part);
          if (over == nullptr)
            continue;
          if (Tree* mine = root.find(part))
            detail::overlay(*mine, *over);
          else {
            root.map.push_back({std::string(part), *over});
            root.key_at.push_back(over->at);
          }
        }
      }
    }
  } else if (!env.empty()) {
    r.error({1, 1}, "", fmt::format("no environment '{}': the file has no environments:", env));
  }

  std::map<std::string, std::string> vars;
  if (const Tree* v = root.find("variables");
      v != nullptr && r.want(*v, Tree::Kind::map, "variables"))
    for (const auto& [k, value] : v->map)
      if (auto s = r.text(&value, "variables." + k, true))
        vars[k] = *s;

  Deployment d;
  d.environment = env;
  if (const Tree* f = root.find("on_failure")) {
    if (auto v = r.text(f, "on_failure", true)) {
      if (*v == "rollback")
        d.on_failure = OnFailure::rollback;
      else if (*v != "stop")
        r.error(f->at, "on_failure", fmt::format("'{}': use stop (the default) or rollback", *v));
    }
  }
  std::set<std::string> node_names;
  std::set<std::string> service_names;
  if (Tree* nodes = root.find("nodes"); nodes == nullptr) {
    r.error({1, 1}, "", "nodes: is required (where services run)");
  } else if (r.want(*nodes, Tree::Kind::map, "nodes")) {
    substitute(*nodes, vars, env, r, "nodes");
    for (size_t i = 0; i < nodes->map.size(); ++i) {
      node_names.insert(nodes->map[i].first);  // known even when wrong: no second complaint
      if (auto n = read_node(nodes->map[i].first, nodes->map[i].second, nodes->key_at[i], r))
        d.nodes.push_back(std::move(*n));
    }
  }
  if (Tree* services = root.find("services"); services == nullptr) {
    r.error({1, 1}, "", "services: is required");
  } else if (r.want(*services, Tree::Kind::map, "services")) {
    substitute(*services, vars, env, r, "services");
    for (const auto& [name, ignored] : services->map)
      service_names.insert(name);
    for (size_t i = 0; i < services->map.size(); ++i)
      if (auto s =
              read_service(services->map[i].first, services->map[i].second, services->key_at[i], r))
        d.services.push_back(std::move(*s));
  }

  for (const auto& s : d.services) {
    for (size_t i = 0; i < s.on.size(); ++i)
      if (!node_names.contains(s.on[i]))
        r.error(s.at, fmt::format("services.{}.on", s.name),
                fmt::format("unknown node '{}'", s.on[i]));
    for (const auto& dep : s.depends_on) {
      if (dep.service == s.name)
        r.error(dep.at, fmt::format("services.{}.depends_on", s.name),
                "a service cannot depend on itself");
      else if (!service_names.contains(dep.service))
        r.error(dep.at, fmt::format("services.{}.depends_on", s.name),
                fmt::format("unknown service '{}'", dep.service));
      else if (dep.condition == Condition::healthy)
        for (const auto& other : d.services)
          if (other.name == dep.service && !other.spec.contains("health") &&
              other.kind != ServiceKind::docker)
            r.error(dep.at, fmt::format("services.{}.depends_on", s.name),
                    fmt::format("condition healthy, but '{}' has no health check", dep.service));
    }
  }
  check_cycles(d.services, r);

  if (r.diags.empty())
    out.deployment = std::move(d);
  out.diagnostics = std::move(r.diags);
  return out;
}

}  // namespace ris::deploy
