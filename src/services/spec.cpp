#include "ris/services/spec.hpp"

#include <boost/json/serialize.hpp>
#include <cmath>

#include "ris/security/digest.hpp"

namespace ris::services {
namespace {
namespace json = boost::json;

Failure bad(const std::string& field, const std::string& what) {
  return fail(Errc::invalid_argument, "\"" + field + "\" " + what);
}

Result<std::string> string_of(const json::object& o, std::string_view k, bool required,
                              size_t max = 1024) {
  const auto* v = o.if_contains(k);
  if (!v || v->is_null()) {
    if (required)
      return bad(std::string(k), "is required");
    return std::string();
  }
  if (!v->is_string())
    return bad(std::string(k), "must be a string");
  if (v->as_string().size() > max)
    return bad(std::string(k), "is longer than " + std::to_string(max) + " characters");
  return std::string(v->as_string());
}

Result<int64_t> int_of(const json::object& o, std::string_view k, int64_t fallback, int64_t lo,
                       int64_t hi) {
  const auto* v = o.if_contains(k);
  if (!v || v->is_null())
    return fallback;
  if (!v->is_int64())
    return bad(std::string(k), "must be an integer");
  const int64_t n = v->as_int64();
  if (n < lo || n > hi)
    return bad(std::string(k),
               "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return n;
}

Result<std::vector<std::string>> strings_of(const json::object& o, std::string_view k,
                                            size_t max_items = 256) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(k);
  if (!v || v->is_null())
    return out;
  if (!v->is_array() || v->as_array().size() > max_items)
    return bad(std::string(k),
               "must be an array of at most " + std::to_string(max_items) + " strings");
  for (const auto& s : v->as_array()) {
    if (!s.is_string() || s.as_string().size() > 4096)
      return bad(std::string(k), "must be an array of strings (each up to 4096 characters)");
    out.emplace_back(s.as_string());
  }
  return out;
}

Result<std::map<std::string, std::string>> map_of(const json::object& o, std::string_view k) {
  std::map<std::string, std::string> out;
  const auto* v = o.if_contains(k);
  if (!v || v->is_null())
    return out;
  if (!v->is_object() || v->as_object().size() > 256)
    return bad(std::string(k), "must be an object of at most 256 string values");
  for (const auto& [name, value] : v->as_object()) {
    if (!value.is_string() || name.empty() || name.size() > 256 || value.as_string().size() > 8192)
      return bad(std::string(k) + "." + std::string(name),
                 "must be a string (names up to 256, values up to 8192 characters)");
    out.emplace(std::string(name), std::string(value.as_string()));
  }
  return out;
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 63)
    return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    (i > 0 && (c == '-' || c == '_' || c == '.'));
    if (!ok)
      return false;
  }
  return true;
}

json::object string_map(const std::map<std::string, std::string>& m, bool mask = false) {
  json::object o;
  for (const auto& [k, v] : m)
    o[k] = mask ? std::string(kSecretMask) : v;
  return o;
}

json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v)
    a.emplace_back(s);
  return a;
}

// What decides a container's shape, in a fixed order (the hash input).
json::object container_part(const ServiceSpec& s) {
  json::object o = to_json(s, true);
  o.erase("replicas");
  o.erase("target");
  o.erase("update");
  return o;
}
}  // namespace

Result<ServiceSpec> parse_service_spec(const json::object& o) {
  ServiceSpec s;
  RIS_TRY(s.name, string_of(o, "name", true, 63));
  if (!valid_name(s.name))
    return bad("name", "must be 1-63 characters: a-z, 0-9, and - _ . after the first");
  RIS_TRY(s.image, string_of(o, "image", true, 512));
  if (s.image.empty())
    return bad("image", "is required");
  RIS_TRY(s.image_archive, string_of(o, "image_archive", false, 64));
  RIS_TRY(s.command, strings_of(o, "command"));
  RIS_TRY(s.env, map_of(o, "env"));
  RIS_TRY(s.secret_env, map_of(o, "secret_env"));
  for (const auto& [k, v] : s.secret_env)
    if (s.env.contains(k))
      return bad("secret_env." + k, "is also in \"env\"");
  RIS_TRY(s.labels, map_of(o, "labels"));
  for (const auto& [k, v] : s.labels)
    if (k.starts_with("ris."))
      return bad("labels." + k, "uses the reserved prefix \"ris.\"");
  RIS_TRY(s.replicas, int_of(o, "replicas", 1, 0, kMaxReplicas));
  RIS_TRY(s.restart_policy, string_of(o, "restart_policy", false, 32));
  if (s.restart_policy.empty())
    s.restart_policy = "unless-stopped";
  if (s.restart_policy != "no" && s.restart_policy != "always" &&
      s.restart_policy != "on-failure" && s.restart_policy != "unless-stopped")
    return bad("restart_policy", "must be no, always, on-failure or unless-stopped");
  RIS_TRY(s.memory_bytes, int_of(o, "memory_bytes", 0, 0, int64_t{1} << 50));
  if (s.memory_bytes != 0 && s.memory_bytes < 6 * 1024 * 1024)
    return bad("memory_bytes", "must be 0 (no limit) or at least 6 MiB (Docker's minimum)");
  if (const auto* c = o.if_contains("cpus"); c && !c->is_null()) {
    if (!c->is_number())
      return bad("cpus", "must be a number");
    s.cpus = c->to_number<double>();
    if (!std::isfinite(s.cpus) || s.cpus < 0 || s.cpus > 1024)
      return bad("cpus", "must be between 0 and 1024");
  }
  RIS_TRY(s.network_mode, string_of(o, "network_mode", false, 128));
  if (const auto* p = o.if_contains("ports"); p && !p->is_null()) {
    if (!p->is_array() || p->as_array().size() > 64)
      return bad("ports", "must be an array of at most 64 {container, host, protocol}");
    for (const auto& item : p->as_array()) {
      if (!item.is_object())
        return bad("ports", "items must be objects");
      PortSpec ps;
      RIS_TRY(auto container, int_of(item.as_object(), "container", 0, 1, 65535));
      if (container == 0)
        return bad("ports.container", "is required (1-65535)");
      ps.container = static_cast<int>(container);
      RIS_TRY(auto host, int_of(item.as_object(), "host", 0, 0, 65535));
      ps.host = static_cast<int>(host);
      RIS_TRY(ps.protocol, string_of(item.as_object(), "protocol", false, 8));
      if (ps.protocol.empty())
        ps.protocol = "tcp";
      if (ps.protocol != "tcp" && ps.protocol != "udp")
        return bad("ports.protocol", "must be tcp or udp");
      s.ports.push_back(ps);
    }
  }
  if (const auto* m = o.if_contains("mounts"); m && !m->is_null()) {
    if (!m->is_array() || m->as_array().size() > 64)
      return bad("mounts", "must be an array of at most 64 {type, source, target, read_only}");
    for (const auto& item : m->as_array()) {
      if (!item.is_object())
        return bad("mounts", "items must be objects");
      const auto& mo = item.as_object();
      MountSpec ms;
      RIS_TRY(ms.type, string_of(mo, "type", false, 16));
      if (ms.type.empty())
        ms.type = "bind";
      if (ms.type != "bind" && ms.type != "volume" && ms.type != "tmpfs")
        return bad("mounts.type", "must be bind, volume or tmpfs");
      RIS_TRY(ms.source, string_of(mo, "source", ms.type != "tmpfs", 4096));
      RIS_TRY(ms.target, string_of(mo, "target", true, 4096));
      if (!ms.target.starts_with("/"))
        return bad("mounts.target", "must be an absolute path");
      if (const auto* ro = mo.if_contains("read_only"); ro && ro->is_bool())
        ms.read_only = ro->as_bool();
      s.mounts.push_back(ms);
    }
  }
  if (const auto* h = o.if_contains("health_check"); h && !h->is_null()) {
    if (!h->is_object())
      return bad("health_check", "must be an object");
    const auto& ho = h->as_object();
    HealthSpec hs;
    RIS_TRY(hs.test, strings_of(ho, "test", 64));
    if (hs.test.empty() || (hs.test[0] != "CMD" && hs.test[0] != "CMD-SHELL") || hs.test.size() < 2)
      return bad("health_check.test",
                 "must be [\"CMD\", program, args...] or "
                 "[\"CMD-SHELL\", command]");
    RIS_TRY(hs.interval_seconds, int_of(ho, "interval_seconds", 5, 1, 3600));
    RIS_TRY(hs.timeout_seconds, int_of(ho, "timeout_seconds", 3, 1, 3600));
    RIS_TRY(hs.retries, int_of(ho, "retries", 3, 1, 100));
    RIS_TRY(hs.start_period_seconds, int_of(ho, "start_period_seconds", 0, 0, 3600));
    s.health = hs;
  }
  if (const auto* t = o.if_contains("target"); t && !t->is_null()) {
    if (!t->is_object())
      return bad("target", "must be {\"agents\": [ids]} or {\"selector\": \"...\"}");
    RIS_TRY(s.target_agents, strings_of(t->as_object(), "agents", 1024));
    RIS_TRY(s.target_selector, string_of(t->as_object(), "selector", false, 1024));
    if (!s.target_agents.empty() && !s.target_selector.empty())
      return bad("target", "takes either \"agents\" or \"selector\", not both");
  }
  if (const auto* u = o.if_contains("update"); u && !u->is_null()) {
    if (!u->is_object())
      return bad("update", "must be an object");
    const auto& uo = u->as_object();
    RIS_TRY(s.update.parallelism, int_of(uo, "parallelism", 1, 1, kMaxReplicas));
    RIS_TRY(s.update.delay_seconds, int_of(uo, "delay_seconds", 0, 0, 3600));
    RIS_TRY(s.update.monitor_seconds, int_of(uo, "monitor_seconds", 30, 1, 3600));
    RIS_TRY(s.update.failure_action, string_of(uo, "failure_action", false, 16));
    if (s.update.failure_action.empty())
      s.update.failure_action = "rollback";
    if (s.update.failure_action != "rollback" && s.update.failure_action != "pause" &&
        s.update.failure_action != "continue")
      return bad("update.failure_action", "must be rollback, pause or continue");
  }
  return s;
}

json::object to_json(const ServiceSpec& s, bool with_secrets) {
  json::object o;
  o["name"] = s.name;
  o["image"] = s.image;
  if (!s.image_archive.empty())
    o["image_archive"] = s.image_archive;
  o["command"] = string_array(s.command);
  o["env"] = string_map(s.env);
  o["secret_env"] = string_map(s.secret_env, !with_secrets);
  json::array ports;
  for (const auto& p : s.ports)
    ports.push_back(
        json::object{{"container", p.container}, {"host", p.host}, {"protocol", p.protocol}});
  o["ports"] = std::move(ports);
  json::array mounts;
  for (const auto& m : s.mounts)
    mounts.push_back(json::object{
        {"type", m.type}, {"source", m.source}, {"target", m.target}, {"read_only", m.read_only}});
  o["mounts"] = std::move(mounts);
  o["labels"] = string_map(s.labels);
  o["replicas"] = s.replicas;
  o["restart_policy"] = s.restart_policy;
  if (s.health)
    o["health_check"] = json::object{{"test", string_array(s.health->test)},
                                     {"interval_seconds", s.health->interval_seconds},
                                     {"timeout_seconds", s.health->timeout_seconds},
                                     {"retries", s.health->retries},
                                     {"start_period_seconds", s.health->start_period_seconds}};
  o["memory_bytes"] = s.memory_bytes;
  o["cpus"] = s.cpus;
  o["network_mode"] = s.network_mode;
  json::object target;
  if (!s.target_agents.empty())
    target["agents"] = string_array(s.target_agents);
  if (!s.target_selector.empty())
    target["selector"] = s.target_selector;
  o["target"] = std::move(target);
  o["update"] = json::object{{"parallelism", s.update.parallelism},
                             {"delay_seconds", s.update.delay_seconds},
                             {"failure_action", s.update.failure_action},
                             {"monitor_seconds", s.update.monitor_seconds}};
  return o;
}

std::string container_hash(const ServiceSpec& s, int64_t restart_generation) {
  json::object o = container_part(s);
  o["restart_generation"] = restart_generation;
  return security::sha256_hex(json::serialize(o)).substr(0, 16);
}

json::object container_create_body(const ServiceSpec& s, const std::string& service_id,
                                   const std::string& space_id, const std::string& agent_id,
                                   int64_t version, const std::string& hash, int64_t index) {
  json::object body;
  body["Image"] = s.image;
  if (!s.command.empty())
    body["Cmd"] = string_array(s.command);
  json::array env;
  for (const auto& [k, v] : s.env)
    env.emplace_back(k + "=" + v);
  for (const auto& [k, v] : s.secret_env)
    env.emplace_back(k + "=" + v);
  env.emplace_back("RIS_SERVICE=" + s.name);
  env.emplace_back("RIS_REPLICA=" + std::to_string(index));
  env.emplace_back("RIS_VERSION=" + std::to_string(version));
  body["Env"] = std::move(env);
  json::object labels = string_map(s.labels);
  labels["ris.space"] = space_id;
  labels["ris.service"] = service_id;
  labels["ris.service_name"] = s.name;
  labels["ris.agent"] = agent_id;
  labels["ris.version"] = std::to_string(version);
  labels["ris.hash"] = hash;
  labels["ris.replica"] = std::to_string(index);
  body["Labels"] = std::move(labels);
  json::object host;
  host["RestartPolicy"] = json::object{{"Name", s.restart_policy == "no" ? "" : s.restart_policy}};
  if (!s.network_mode.empty())
    host["NetworkMode"] = s.network_mode;
  if (s.memory_bytes > 0)
    host["Memory"] = s.memory_bytes;
  if (s.cpus > 0)
    host["NanoCpus"] = static_cast<int64_t>(s.cpus * 1e9);
  if (!s.ports.empty()) {
    json::object exposed, bindings;
    for (const auto& p : s.ports) {
      const std::string key = std::to_string(p.container) + "/" + p.protocol;
      exposed[key] = json::object{};
      json::array b;
      b.push_back(json::object{{"HostPort", p.host ? std::to_string(p.host) : std::string()}});
      bindings[key] = std::move(b);
    }
    body["ExposedPorts"] = std::move(exposed);
    host["PortBindings"] = std::move(bindings);
  }
  if (!s.mounts.empty()) {
    json::array mounts;
    for (const auto& m : s.mounts) {
      json::object mo{{"Type", m.type}, {"Target", m.target}, {"ReadOnly", m.read_only}};
      if (!m.source.empty())
        mo["Source"] = m.source;
      mounts.push_back(std::move(mo));
    }
    host["Mounts"] = std::move(mounts);
  }
  body["HostConfig"] = std::move(host);
  if (s.health) {
    constexpr int64_t kNs = 1'000'000'000;
    body["Healthcheck"] = json::object{{"Test", string_array(s.health->test)},
                                       {"Interval", s.health->interval_seconds * kNs},
                                       {"Timeout", s.health->timeout_seconds * kNs},
                                       {"Retries", s.health->retries},
                                       {"StartPeriod", s.health->start_period_seconds * kNs}};
  }
  return body;
}

}  // namespace ris::services
