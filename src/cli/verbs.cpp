// get, describe, create, delete and edit: the resource verbs.
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "events.hpp"
#include "help.hpp"
#include "output.hpp"
#include "resources.hpp"
#include "ris/net/http.hpp"
#include "session.hpp"

namespace ris::cli {
namespace json = boost::json;

namespace {
// The list's query string from the flags that filter it.
std::string list_query(const Session& s, const Resource& r) {
  std::string q;
  auto add = [&](const std::string& flag, const std::string& param) {
    if (s.args.has(flag))
      q += (q.empty() ? "?" : "&") + param + "=" + net::percent_encode(s.args.get(flag));
  };
  if (r.name == "agents")
    add("selector", "selector");
  if (r.name == "tasks")
    add("state", "state");
  if (r.name == "tasks" || r.name == "audit")
    add("limit", "limit");
  if (r.name == "audit") {
    add("actor", "actor");
    add("action", "action");
    add("outcome", "outcome");
  }
  return q;
}

std::vector<std::string> row(const Resource& r, const json::object& o) {
  std::vector<std::string> cells;
  for (const auto& c : r.columns)
    cells.push_back(c.value(o));
  return cells;
}

std::vector<std::string> headers(const Resource& r) {
  std::vector<std::string> h;
  for (const auto& c : r.columns)
    h.push_back(c.header);
  return h;
}

// Prints items in the chosen format; false for an unknown format.
bool print_items(const Session& s, const Resource& r, const json::array& items, bool one) {
  const std::string format = s.args.get("output", "table");
  if (format == "json") {
    std::cout << to_pretty_json(
        one && !items.empty() ? items[0] : json::value(json::object{{"items", items}}));
  } else if (format == "yaml") {
    std::cout << to_yaml(one && !items.empty() ? items[0] : json::value(items));
  } else if (format == "name") {
    for (const auto& i : items)
      std::cout << r.aliases.front() << "/" << text(i.as_object(), r.key) << "\n";
  } else if (format == "table") {
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : items)
      rows.push_back(row(r, i.as_object()));
    if (rows.empty() && !one)
      std::cerr << "No " << r.name << " found.\n";
    else
      std::cout << render_table(headers(r), rows);
  } else {
    return false;
  }
  return true;
}

// --watch: the table once, then every row that changed (as kubectl does), until Ctrl-C.
int watch(Session& s, Api& api, const Resource& r, const std::string& query) {
  if (!r.live)
    return s.error("--watch works for agents, tasks and services");
  auto token = api.access_token();  // first: it finds the server that answers
  auto tls = tls_for(api.context());
  auto space = api.space_path();
  if (!tls || !token || !space)
    return s.error(!tls     ? tls.error().message
                   : !token ? token.error().message
                            : space.error().message);
  Events events(api.url(), *tls, *token);
  events.subscribe(
      json::object{{"topic", r.name}, {"space", space->substr(space->rfind('/') + 1)}});
  std::map<std::string, std::string> shown;  // id → last printed row
  bool first = true;
  auto refresh = [&]() -> bool {
    auto items = list_items(api, r, query);
    if (!items) {
      s.error(items.error().message);
      return false;
    }
    std::vector<std::vector<std::string>> rows;
    json::array changed;
    for (const auto& i : *items) {
      const auto& o = i.as_object();
      auto cells = row(r, o);
      std::string joined;
      for (size_t c = 0; c < cells.size(); ++c)
        if (!r.columns[c].age)
          joined += cells[c] + "\x1f";
      auto& last = shown[text(o, "id")];
      if (last != joined) {
        last = joined;
        rows.push_back(std::move(cells));
        changed.push_back(i);
      }
    }
    const std::string format = s.args.get("output", "table");
    if (format == "json") {
      for (const auto& c : changed)
        std::cout << json::serialize(c) << "\n";
    } else if (!rows.empty()) {
      std::string table = render_table(headers(r), rows);
      std::cout << (first ? table : table.substr(table.find('\n') + 1));
    }
    std::cout << std::flush;
    first = false;
    return true;
  };
  // Subscribed first, listed second: no change falls in between.
  if (!refresh())
    return 1;
  auto last_refresh = std::chrono::steady_clock::now();
  bool pending = false;
  while (!interrupted()) {
    if (auto e = events.next(std::chrono::milliseconds(200))) {
      const std::string type = text(*e, "type");
      if (renew_token_if_refused(events, api, *e))
        continue;
      if (type == "error")
        return s.error(text(*e, "message"));
      // Heartbeats (every agent, every few seconds) would re-list a large fleet all the time:
      // the watch follows status changes, new agents, tasks and services.
      if ((type == "changed" && text(*e, "event") != "heartbeat") || type == "reconnected")
        pending = true;
    }
    // At most two listings a second, however busy the fleet.
    if (pending &&
        std::chrono::steady_clock::now() - last_refresh > std::chrono::milliseconds(500)) {
      pending = false;
      last_refresh = std::chrono::steady_clock::now();
      if (!refresh())
        return 1;
    }
  }
  return 0;
}

// Reads a JSON document from a file or "-" (stdin).
Result<json::object> read_json_file(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream f(path);
    if (!f)
      return fail(Errc::not_found, "cannot read " + path);
    ss << f.rdbuf();
  }
  boost::system::error_code ec;
  auto v = json::parse(ss.str(), ec);
  if (ec || !v.is_object())
    return fail(Errc::invalid_argument,
                path + " is not a JSON object" + (ec ? " (" + ec.message() + ")" : std::string()));
  return std::move(v.as_object());
}

json::array split_list(const std::string& v) {
  json::array out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty())
      out.emplace_back(item);
  return out;
}

Result<json::object> parse_labels(const std::string& v) {
  json::object out;
  for (const auto& item : split_list(v)) {
    const std::string kv(item.as_string());
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(Errc::invalid_argument, "labels are key=value pairs, got \"" + kv + "\"");
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

// Members carry role ids; people read names: "roles" is added beside "role_ids".
void name_roles(Api& api, const Resource& r, json::array& items) {
  if (r.name != "members")
    return;
  auto roles = list_items(api, *find_resource("roles"));
  if (!roles)
    return;
  std::map<std::string, std::string> names;
  for (const auto& role : *roles)
    names[text(role.as_object(), "id")] = text(role.as_object(), "name");
  for (auto& item : items) {
    auto& o = item.as_object();
    json::array out;
    if (const auto* ids = o.if_contains("role_ids"); ids && ids->is_array())
      for (const auto& id : ids->as_array())
        out.emplace_back(names.contains(cell(&id)) ? names[cell(&id)] : cell(&id));
    o["roles"] = std::move(out);
  }
}

const Resource* resource_arg(Session& s, const std::string& verb) {
  if (s.args.positional.size() < 2) {
    std::cerr << *command_help(verb);
    return nullptr;
  }
  const Resource* r = find_resource(s.args.positional[1]);
  if (!r)
    std::cerr << "error: unknown resource \"" << s.args.positional[1]
              << "\" (one of: " << resource_names() << ")\n";
  return r;
}
}  // namespace

int cmd_get(Session& s) {
  const Resource* r = resource_arg(s, "get");
  if (!r)
    return 2;
  auto api = s.api();
  if (!api)
    return s.error(api.error().message);
  const std::string query = list_query(s, *r);
  if (s.args.has("watch"))
    return watch(s, *api, *r, query);
  json::array items;
  const bool one = s.args.positional.size() > 2;
  if (one) {
    auto item = find_item(*api, *r, s.args.positional[2]);
    if (!item)
      return s.error(item.error().message);
    items.push_back(std::move(*item));
  } else {
    auto list = list_items(*api, *r, query);
    if (!list)
      return s.error(list.error().message);
    items = std::move(*list);
  }
  name_roles(*api, *r, items);
  if (!print_items(s, *r, items, one))
    return s.error("unknown output format \"" + s.args.get("output") +
                   "\" (table, json, yaml, name)");
  return 0;
}

int cmd_describe(Session& s) {
  const Resource* r = resource_arg(s, "describe");
  if (!r)
    return 2;
  if (s.args.positional.size() != 3)
    return std::cerr << *command_help("describe"), 2;
  auto api = s.api();
  if (!api)
    return s.error(api.error().message);
  auto item = find_item(*api, *r, s.args.positional[2]);
  if (!item)
    return s.error(item.error().message);
  json::object out = *item;
  auto base = collection_url(*api, *r);
  if (!base)
    return s.error(base.error().message);
  const std::string id = text(*item, "id");
  // The details a list leaves out.
  if (r->name == "agents") {
    if (auto h = api->call("GET", *base + "/" + id + "/health?history=5"))
      out["health"] = std::move(*h);
  } else if (r->name == "tasks") {
    if (auto t = api->call("GET", *base + "/" + id))
      out = std::move(t->as_object());
  } else if (r->name == "services") {
    if (auto h = api->call("GET", *base + "/" + id + "/history"))
      out["history"] = std::move(h->as_object()["items"]);
  } else if (r->name == "nodes") {
    auto n = api->call("GET", *base + "/" + net::percent_encode(id));
    if (!n)
      return s.error(n.error().message);
    out = std::move(n->as_object());
  }
  std::cout << to_yaml(out);
  return 0;
}

int cmd_create(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() < 2)
    return std::cerr << *command_help("create"), 2;
  const std::string what = p[1];
  const std::string name = p.size() > 2 ? p[2] : "";
  auto api = s.api();
  if (!api)
    return s.error(api.error().message);
  auto ttl = s.args.get_int("ttl", 0);
  auto uses = s.args.get_int("uses", 0);
  if (!ttl || !uses)
    return s.error(!ttl ? ttl.error().message : uses.error().message);
  std::string url;
  json::object body;
  if (what == "space") {
    if (name.empty())
      return s.error("usage: risctl create space NAME");
    url = "/api/v1/spaces";
    body = {{"name", name}, {"description", s.args.get("description")}};
  } else {
    auto space = api->space_path();
    if (!space)
      return s.error(space.error().message);
    if (what == "role") {
      if (name.empty())
        return s.error("usage: risctl create role NAME [--permissions P1,P2]");
      url = *space + "/roles";
      body = {{"name", name}, {"permissions", split_list(s.args.get("permissions"))}};
      if (s.args.has("color"))
        body["color"] = s.args.get("color");
    } else if (what == "token") {
      if (name.empty() || !s.args.has("permissions"))
        return s.error("usage: risctl create token NAME --permissions P1,P2 [--ttl SECONDS]");
      url = *space + "/tokens";
      body = {{"name", name}, {"permissions", split_list(s.args.get("permissions"))}};
      if (*ttl > 0)
        body["ttl_seconds"] = *ttl;
    } else if (what == "service") {
      if (!s.args.has("file"))
        return s.error("usage: risctl create service -f SPEC.json (- for standard input)");
      auto spec = read_json_file(s.args.get("file"));
      if (!spec)
        return s.error(spec.error().message);
      url = *space + "/services";
      body = std::move(*spec);
    } else if (what == "schedule") {
      if (!s.args.has("file"))
        return s.error("usage: risctl create schedule [NAME] -f SPEC.json (- for standard input)");
      auto spec = read_json_file(s.args.get("file"));
      if (!spec)
        return s.error(spec.error().message);
      url = *space + "/schedules";
      body = std::move(*spec);
      if (!name.empty())
        body["name"] = name;
    } else if (what == "join-token") {
      auto labels = parse_labels(s.args.get("labels"));
      if (!labels)
        return s.error(labels.error().message);
      url = *space + "/agents/join-tokens";
      body = {{"labels", *labels}, {"uses", *uses > 0 ? *uses : 1}};
      if (*ttl > 0)
        body["ttl_seconds"] = *ttl;
    } else if (what == "invitation") {
      url = *space + "/invitations";
      if (*ttl > 0)
        body["ttl_seconds"] = *ttl;
      if (*uses > 0)
        body["max_uses"] = *uses;
    } else {
      return s.error("cannot create \"" + what +
                     "\" (space, role, token, service, schedule, join-token, invitation)");
    }
  }
  auto created = api->call("POST", url, json::value(body));
  if (!created)
    return s.error(created.error().message);
  const auto& o = created->as_object();
  const std::string format = s.args.get("output");
  if (format == "json")
    std::cout << to_pretty_json(*created);
  else if (format == "yaml")
    std::cout << to_yaml(*created);
  else if (what == "token")
    std::cout << "Created token " << name << ". Its secret (shown once):\n"
              << text(o, "token") << "\n";
  else if (what == "join-token")
    std::cout << "Join token (shown once): " << text(o, "token")
              << "\nOn the host:\n  ris-agent join " << api->server() << " --token "
              << text(o, "token") << " --ca-hash " << text(o, "ca_hash")
              << " --state-dir /var/lib/ris-agent\n";
  else if (what == "invitation")
    std::cout << "Invitation code: " << text(o, "code") << "\n";
  else
    std::cout << what << "/" << (o.contains("name") ? text(o, "name") : text(o, "id"))
              << " created\n";
  return 0;
}

int cmd_delete(Session& s) {
  const Resource* r = resource_arg(s, "delete");
  if (!r)
    return 2;
  if (s.args.positional.size() != 3)
    return std::cerr << *command_help("delete"), 2;
  auto api = s.api();
  if (!api)
    return s.error(api.error().message);
  if (r->name == "members" || r->name == "tasks" || r->name == "audit" || r->name == "nodes")
    return s.error("cannot delete " + r->name +
                   (r->name == "tasks"   ? " (cancel a running one with risctl exec's Ctrl-C)"
                    : r->name == "nodes" ? " (stop the server: a clean stop deregisters it)"
                                         : ""));
  auto item = find_item(*api, *r, s.args.positional[2]);
  if (!item)
    return s.error(item.error().message);
  auto base = collection_url(*api, *r);
  if (!base)
    return s.error(base.error().message);
  const std::string id = text(*item, r->name == "invitations" ? "code" : "id");
  Result<json::value> done = r->name == "agents" ? api->call("POST", *base + "/" + id + "/revoke")
                                                 : api->call("DELETE", *base + "/" + id);
  if (!done)
    return s.error(done.error().message);
  std::cout << r->aliases.front() << "/" << s.args.positional[2]
            << (r->name == "agents" || r->name == "tokens" ? " revoked\n" : " deleted\n");
  return 0;
}

int cmd_edit(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() != 3 || find_resource(p[1]) != find_resource("services"))
    return std::cerr << *command_help("edit"), 2;
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  auto service = api.call("GET", space + "/services/" + p[2]);
  if (!service)
    return s.error(service.error().message);
  const std::string before = to_pretty_json(service->as_object().at("spec"));
  char tmpl[] = "/tmp/risctl-edit-XXXXXX.json";
  const int fd = mkstemps(tmpl, 5);
  if (fd < 0)
    return s.error("cannot create a temporary file");
  if (write(fd, before.data(), before.size()) != static_cast<ssize_t>(before.size())) {
    close(fd);
    return s.error("cannot write the temporary file");
  }
  close(fd);
  const char* editor = std::getenv("VISUAL");
  if (!editor || !*editor)
    editor = std::getenv("EDITOR");
  const std::string command = std::string(editor && *editor ? editor : "vi") + " '" + tmpl + "'";
  const int rc = std::system(command.c_str());
  auto edited = read_json_file(tmpl);
  std::remove(tmpl);
  if (rc != 0)
    return s.error("the editor exited with status " + std::to_string(rc) + "; nothing changed");
  if (!edited)
    return s.error(edited.error().message + "; nothing changed");
  if (to_pretty_json(*edited) == before) {
    std::cout << "service/" << p[2] << " unchanged\n";
    return 0;
  }
  auto updated = api.call("PUT", space + "/services/" + p[2], json::value(*edited));
  if (!updated)
    return s.error(updated.error().message);
  std::cout << "service/" << p[2] << " edited (version " << text(updated->as_object(), "version")
            << ")\n";
  return 0;
}

}  // namespace ris::cli
