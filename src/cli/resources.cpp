#include "resources.hpp"

#include <boost/json/serialize.hpp>

#include "output.hpp"

namespace ris::cli {
namespace json = boost::json;

namespace {
std::function<std::string(const json::object&)> field(std::string k) {
  return [k](const json::object& o) { return text(o, k); };
}
std::function<std::string(const json::object&)> ago(std::string k) {
  return [k](const json::object& o) { return age(text(o, k)); };
}
std::string percent(double part, double whole) {
  if (whole <= 0)
    return "";
  char buf[16];
  snprintf(buf, sizeof buf, "%.0f%%", 100.0 * part / whole);
  return buf;
}
double num(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return !v ? 0 : v->is_double() ? v->as_double() : v->is_int64() ? double(v->as_int64()) : 0;
}
const json::object& obj(const json::object& o, std::string_view k) {
  static const json::object empty;
  const auto* v = o.if_contains(k);
  return v && v->is_object() ? v->as_object() : empty;
}

std::string runs_summary(const json::object& t) {
  const auto* runs = t.if_contains("runs");
  if (!runs || !runs->is_array())
    return "";
  std::map<std::string, int> by_state;
  for (const auto& r : runs->as_array())
    by_state[text(r.as_object(), "state")]++;
  std::string out;
  for (const auto& [state, n] : by_state)
    out += (out.empty() ? "" : ",") + state + "=" + std::to_string(n);
  return out;
}

std::vector<Resource> build() {
  std::vector<Resource> r;
  r.push_back({"agents",
               {"agent", "ag"},
               true,
               "/agents",
               "name",
               {{"name", field("name")},
                {"status", field("status")},
                {"hostname", field("hostname")},
                {"labels", field("labels")},
                {"load",
                 [](const json::object& o) {
                   const auto& h = obj(o, "health");
                   return h.contains("load_1m") ? cell(h.if_contains("load_1m")) : "";
                 }},
                {"memory",
                 [](const json::object& o) {
                   const auto& h = obj(o, "health");
                   return percent(num(h, "memory_used_bytes"), num(h, "memory_total_bytes"));
                 }},
                {"last seen", ago("last_seen"), true},
                {"id", field("id")}},
               true});
  r.push_back({"tasks",
               {"task"},
               true,
               "/tasks",
               "id",
               {{"id", field("id")},
                {"type", field("type")},
                {"mode", field("mode")},
                {"runs", runs_summary},
                {"created", ago("created_at"), true}},
               true});
  r.push_back(
      {"services",
       {"service", "svc"},
       true,
       "/services",
       "name",
       {{"name", field("name")},
        {"image", [](const json::object& o) { return text(obj(o, "spec"), "image"); }},
        {"state", field("state")},
        {"running",
         [](const json::object& o) { return text(o, "running") + "/" + text(o, "desired"); }},
        {"version", field("version")},
        {"rollout", [](const json::object& o) { return text(obj(o, "rollout"), "state"); }},
        {"updated", ago("updated_at"), true}},
       true});
  r.push_back({"schedules",
               {"schedule", "sched"},
               true,
               "/schedules",
               "name",
               {{"name", field("name")},
                {"when", field("when")},
                {"zone", field("time_zone")},
                {"action",
                 [](const json::object& o) {
                   const auto& a = obj(o, "action");
                   return a.empty() ? std::string() : std::string(a.begin()->key());
                 }},
                {"next fire",
                 [](const json::object& o) {
                   const auto* n = o.if_contains("next_fires");
                   return n && n->is_array() && !n->as_array().empty()
                              ? cell(&n->as_array().front())
                              : std::string("-");
                 }},
                {"paused", field("paused")},
                {"id", field("id")}}});
  r.push_back({"spaces",
               {"space"},
               false,
               "/api/v1/spaces",
               "name",
               {{"name", field("name")},
                {"members", field("member_count")},
                {"public", field("public")},
                {"created", ago("created_at"), true},
                {"id", field("id")}}});
  r.push_back({"members",
               {"member"},
               true,
               "/members",
               "username",
               {{"username", field("username")},
                {"display name", field("display_name")},
                {"owner", field("owner")},
                {"roles", field("roles")},
                {"joined", ago("joined_at"), true},
                {"account", field("account_id")}}});
  r.push_back({"roles",
               {"role"},
               true,
               "/roles",
               "name",
               {{"name", field("name")},
                {"position", field("position")},
                {"permissions", field("permissions")},
                {"id", field("id")}}});
  r.push_back({"tokens",
               {"token"},
               true,
               "/tokens",
               "name",
               {{"name", field("name")},
                {"permissions", field("permissions")},
                {"expires", field("expires_at")},
                {"last used", ago("last_used_at"), true},
                {"revoked", field("revoked_at")},
                {"id", field("id")}}});
  r.push_back({"audit",
               {"audit-log", "events"},
               true,
               "/audit",
               "id",
               {{"seq", field("seq")},
                {"time", field("time")},
                {"actor", field("actor")},
                {"action", field("action")},
                {"outcome", field("outcome")},
                {"target", field("target")}}});
  r.push_back({"invitations",
               {"invitation", "invites"},
               true,
               "/invitations",
               "code",
               {{"code", field("code")},
                {"uses", field("uses")},
                {"max uses", field("max_uses")},
                {"expires", field("expires_at")}}});
  // The risd servers sharing the database (application administrators).
  r.push_back({"nodes",
               {"node", "servers", "server"},
               false,
               "/api/v1/cluster/servers",
               "id",
               {{"id",
                 [](const json::object& o) {
                   const auto* self = o.if_contains("self");
                   return text(o, "id") +
                          (self && self->is_bool() && self->as_bool() ? " (self)" : "");
                 }},
                {"state", field("state")},
                {"version", field("version")},
                {"agents", field("agents")},
                {"duties", field("duties")},
                {"lease age",
                 [](const json::object& o) {
                   char buf[32];
                   snprintf(buf, sizeof buf, "%.1fs", num(o, "lease_age_seconds"));
                   return std::string(buf);
                 },
                 true},
                {"advertise", field("advertise")}}});
  return r;
}
}  // namespace

const std::vector<Resource>& resources() {
  static const std::vector<Resource> all = build();
  return all;
}

const Resource* find_resource(const std::string& word) {
  for (const auto& r : resources()) {
    if (r.name == word)
      return &r;
    for (const auto& a : r.aliases)
      if (a == word)
        return &r;
  }
  return nullptr;
}

std::string resource_names() {
  std::string out;
  for (const auto& r : resources())
    out += (out.empty() ? "" : ", ") + r.name;
  return out;
}

Result<std::string> collection_url(Api& api, const Resource& r) {
  if (!r.in_space)
    return r.path;
  RIS_TRY(auto space, api.space_path());
  return space + r.path;
}

Result<json::array> list_items(Api& api, const Resource& r, const std::string& query) {
  RIS_TRY(auto url, collection_url(api, r));
  RIS_TRY(auto v, api.call("GET", url + query));
  if (!v.is_object() || !v.as_object().contains("items") || !v.as_object().at("items").is_array())
    return fail(Errc::unavailable, "unexpected answer from " + url);
  return std::move(v.as_object().at("items").as_array());
}

Result<json::object> find_item(Api& api, const Resource& r, const std::string& name) {
  RIS_TRY(auto items, list_items(api, r));
  std::vector<std::string> keys;
  for (auto& item : items) {
    auto& o = item.as_object();
    if (text(o, "id") == name || text(o, r.key) == name)
      return std::move(o);
    keys.push_back(text(o, r.key));
  }
  std::string known;
  for (size_t i = 0; i < keys.size() && i < 10; ++i)
    known += (known.empty() ? "" : ", ") + keys[i];
  return fail(
      Errc::not_found,
      "no " + r.aliases.front() + " \"" + name + "\"" +
          (known.empty() ? "" : " (there are: " + known + (keys.size() > 10 ? ", …" : "") + ")"));
}

}  // namespace ris::cli
