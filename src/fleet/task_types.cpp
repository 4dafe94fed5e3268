#include "ris/fleet/task_types.hpp"

#include <algorithm>
#include <array>

namespace ris::fleet {
namespace {
using boost::json::object;

// An absent field passes: only present ones must have the right type.
bool string_or_absent(const object& p, std::string_view k) {
  const auto* v = p.if_contains(k);
  return !v || v->is_string();
}

template <size_t N>
std::string joined(const std::array<std::string_view, N>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

constexpr std::array<std::string_view, 21> kDockerActions = {
    "info",          "version",      "images",        "image_inspect", "image_remove",
    "image_pull",    "containers",   "create",        "start",         "stop",
    "restart",       "remove",       "inspect",       "logs",          "stats",
    "events",        "service_logs", "start_service", "stop_service",  "restart_service",
    "remove_service"};
constexpr std::array<std::string_view, 10> kDockerReadOnly = {
    "info",    "version", "images", "image_inspect", "containers",
    "inspect", "logs",    "stats",  "events",        "service_logs"};

Result<void> validate_shell(const object& p) {
  const auto* argv = p.if_contains("argv");
  const auto* script = p.if_contains("script");
  if ((argv != nullptr) == (script != nullptr))
    return fail(Errc::invalid_argument,
                "shell: give exactly one of \"argv\" (array) or \"script\" (string)");
  if (argv && (!argv->is_array() || argv->as_array().empty()))
    return fail(Errc::invalid_argument, "shell: \"argv\" must be a non-empty array of strings");
  if (argv)
    for (const auto& a : argv->as_array())
      if (!a.is_string())
        return fail(Errc::invalid_argument, "shell: \"argv\" must be a non-empty array of strings");
  if (script && !script->is_string())
    return fail(Errc::invalid_argument, "shell: \"script\" must be a string");
  if (const auto* env = p.if_contains("env"); env && !env->is_object())
    return fail(Errc::invalid_argument, "shell: \"env\" must be an object of strings");
  if (!string_or_absent(p, "working_directory") || !string_or_absent(p, "user") ||
      !string_or_absent(p, "stdin"))
    return fail(Errc::invalid_argument, "shell: working_directory, user and stdin must be strings");
  return {};
}

Result<void> validate_http(const object& p) {
  const auto* url = p.if_contains("url");
  if (!url || !url->is_string() ||
      !(url->as_string().starts_with("http://") || url->as_string().starts_with("https://")))
    return fail(Errc::invalid_argument, "http: \"url\" (http:// or https://) is required");
  if (!string_or_absent(p, "method") || !string_or_absent(p, "body"))
    return fail(Errc::invalid_argument, "http: method and body must be strings");
  if (const auto* h = p.if_contains("headers"); h && !h->is_object())
    return fail(Errc::invalid_argument, "http: \"headers\" must be an object of strings");
  if (const auto* v = p.if_contains("verify_tls"); v && !v->is_bool())
    return fail(Errc::invalid_argument, "http: \"verify_tls\" must be true or false");
  if (const auto* m = p.if_contains("max_body_bytes");
      m && (!m->is_int64() || m->as_int64() < 0 || m->as_int64() > 256 * 1024))
    return fail(Errc::invalid_argument, "http: \"max_body_bytes\" must be between 0 and 262144");
  return {};
}

Result<void> validate_docker(const object& p) {
  const auto* a = p.if_contains("action");
  if (!a || !a->is_string() ||
      std::find(kDockerActions.begin(), kDockerActions.end(), a->as_string()) ==
          kDockerActions.end())
    return fail(Errc::invalid_argument,
                "docker: \"action\" must be one of " + joined(kDockerActions));
  const std::string action(a->as_string());
  if (action.ends_with("_service")) {
    const auto* n = p.if_contains("service_name");
    if (!n || !n->is_string() || n->as_string().empty())
      return fail(Errc::invalid_argument, "docker " + action + ": \"service_name\" is required");
    const auto* img = p.if_contains("image");
    if (action == "start_service" && (!img || !img->is_string() || img->as_string().empty()))
      return fail(Errc::invalid_argument, "docker start_service: \"image\" is required");
    if (const auto* ports = p.if_contains("ports"); ports && !ports->is_array())
      return fail(Errc::invalid_argument,
                  "docker start_service: \"ports\" must be a list of \"HOST:CONTAINER\"");
    if (const auto* env = p.if_contains("environment"); env && !env->is_object())
      return fail(Errc::invalid_argument,
                  "docker start_service: \"environment\" must be an object of strings");
  }
  const bool needs_container = action == "start" || action == "stop" || action == "restart" ||
                               action == "remove" || action == "inspect" || action == "logs" ||
                               action == "stats";
  const auto* c = p.if_contains("container");
  if (needs_container && (!c || !c->is_string() || c->as_string().empty()))
    return fail(Errc::invalid_argument, "docker " + action + ": \"container\" is required");
  const bool needs_image =
      action == "image_inspect" || action == "image_remove" || action == "image_pull";
  const auto* i = p.if_contains("image");
  if (needs_image && (!i || !i->is_string() || i->as_string().empty()))
    return fail(Errc::invalid_argument, "docker " + action + ": \"image\" is required");
  if (action == "create" && (!p.contains("body") || !p.at("body").is_object()))
    return fail(Errc::invalid_argument,
                "docker create: \"body\" (the Engine API's container create object) is required");
  return {};
}

Result<void> validate_echo(const object& p) {
  if (!string_or_absent(p, "message"))
    return fail(Errc::invalid_argument, "echo: \"message\" must be a string");
  return {};
}

Result<void> validate_ping(const object&) {
  return {};
}

constexpr TaskType kTaskTypes[] = {
    {"shell", "", validate_shell},
    {"http", "", validate_http},
    {"docker", "a Docker daemon that answers on the agent's socket (--docker-socket)",
     validate_docker},
    {"echo", "", validate_echo},
    {"ping", "", validate_ping},
};
}  // namespace

std::span<const TaskType> task_types() {
  return kTaskTypes;
}

const TaskType* find_task_type(std::string_view name) {
  for (const auto& t : kTaskTypes)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::string task_type_names() {
  std::string out;
  for (const auto& t : kTaskTypes)
    out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

Result<void> validate_parameters(std::string_view type, const boost::json::object& parameters) {
  const auto* t = find_task_type(type);
  if (!t)
    return fail(Errc::invalid_argument,
                "unknown task type \"" + std::string(type) + "\" (" + task_type_names() + ")");
  return t->validate(parameters);
}

bool docker_action_read_only(std::string_view action) {
  return std::find(kDockerReadOnly.begin(), kDockerReadOnly.end(), action) != kDockerReadOnly.end();
}

}  // namespace ris::fleet
