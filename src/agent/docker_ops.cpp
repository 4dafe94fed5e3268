#include "docker_ops.hpp"
#include "ris/net/http.hpp"

#include "ris/agent/docker_stream.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <thread>
#include <vector>

namespace ris::agent {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
int64_t integer(const json::object& o, std::string_view k, int64_t fallback) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

// "repo[:tag]" → repo, tag ("latest" when absent; a ':' in a registry host is not a tag).
std::pair<std::string, std::string> split_reference(const std::string& ref) {
  const size_t slash = ref.rfind('/');
  const size_t colon = ref.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash))
    return {ref, "latest"};
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

// Image create/load answer with a stream of JSON progress lines; an "error" in any fails it.
Result<void> check_progress(const DockerReply& reply, const std::string& what) {
  std::string error;
  size_t at = 0;
  while (at < reply.body.size()) {
    size_t end = reply.body.find('\n', at);
    if (end == std::string::npos)
      end = reply.body.size();
    boost::json::error_code ec;
    auto line = json::parse(std::string_view(reply.body).substr(at, end - at), ec);
    if (!ec && line.is_object()) {
      if (auto e = str(line.as_object(), "error"); !e.empty())
        error = e;
      if (auto m = str(line.as_object(), "message"); !m.empty() && reply.status >= 400)
        error = m;
    }
    at = end + 1;
  }
  if (reply.status >= 400 || !error.empty())
    return fail(
        Errc::unavailable,
        what + " failed: " + (error.empty() ? "HTTP " + std::to_string(reply.status) : error));
  return {};
}

std::string container_ref(const json::object& p) {
  return net::percent_encode(str(p, "container"));
}

Result<json::value> logs(const DockerClient& docker, const std::string& container, bool follow,
                         int64_t tail, const std::string& prefix, const OutputSink& emit,
                         const CancelFlag& cancel) {
  RIS_TRY(auto info, docker.json("GET", "/containers/" + net::percent_encode(container) + "/json"));
  const bool tty =
      info.at_pointer("/Config/Tty").is_bool() && info.at_pointer("/Config/Tty").as_bool();
  std::string line_prefix = prefix.empty() ? std::string() : prefix + " | ";
  // Prefix each line (when asked) so that several containers' logs stay readable together.
  std::string pending[2];
  auto out = [&](std::string_view stream, std::string_view data) {
    if (line_prefix.empty())
      return emit(stream, data);
    std::string& buf = pending[stream == "stderr" ? 1 : 0];
    buf.append(data);
    std::string ready;
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      ready += line_prefix + buf.substr(0, nl + 1);
      buf.erase(0, nl + 1);
    }
    if (!ready.empty())
      emit(stream, ready);
  };
  DockerStreamDemux demux(out);
  const std::string path = "/containers/" + net::percent_encode(container) +
                           "/logs?stdout=1&stderr=1&follow=" + (follow ? "1" : "0") +
                           "&tail=" + (tail < 0 ? std::string("all") : std::to_string(tail));
  RIS_TRY_VOID(docker.stream(
      "GET", path,
      [&](std::string_view piece) {
        if (tty)
          out("stdout", piece);
        else
          demux.feed(piece);
        return true;
      },
      cancel.cancelled, follow ? std::chrono::milliseconds(24h) : std::chrono::milliseconds(60s)));
  for (int i = 0; i < 2; ++i)
    if (!pending[i].empty())
      emit(i ? "stderr" : "stdout", line_prefix + pending[i] + "\n");
  return json::value(json::object{{"container", container}});
}
// Seed 000's docker_management actions on one named container ("ris-task-<service_name>"):
// start_service replaces it with a fresh one from image, ports ("HOST:CONTAINER") and
// environment; the others stop, restart or remove it. Services with replicas, versions and
// health-gated updates are the reconciler's (services API); this is the one-shot form.
Result<json::value> task_service(const DockerClient& docker, const std::string& agent_id,
                                 const std::string& action, const json::object& p,
                                 const ArchiveFetcher& fetch) {
  const std::string name = "ris-task-" + str(p, "service_name");
  const std::string c = "/containers/" + net::percent_encode(name);
  if (action == "stop_service") {
    RIS_TRY_VOID(docker.json("POST",
                             c + "/stop?t=" + std::to_string(integer(p, "grace_seconds", 10)), {},
                             std::chrono::seconds(integer(p, "grace_seconds", 10) + 30)));
    return docker.json("GET", c + "/json");
  }
  if (action == "restart_service") {
    RIS_TRY_VOID(docker.json("POST", c + "/restart"));
    return docker.json("GET", c + "/json");
  }
  if (action == "remove_service")
    return docker.json("DELETE", c + "?force=1&v=1");
  // start_service
  const std::string image = str(p, "image");
  RIS_TRY_VOID(ensure_image(docker, image, str(p, "image_archive"), fetch));
  json::array env;
  if (const auto* e = p.if_contains("environment"); e && e->is_object())
    for (const auto& [k, v] : e->as_object())
      env.emplace_back(std::string(k) + "=" +
                       (v.is_string() ? std::string(v.as_string()) : json::serialize(v)));
  json::object exposed, bindings;
  if (const auto* ports = p.if_contains("ports"); ports && ports->is_array())
    for (const auto& item : ports->as_array()) {
      const std::string spec = item.is_string() ? std::string(item.as_string()) : "";
      const auto colon = spec.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
        return fail(Errc::invalid_argument,
                    "start_service: port \"" + spec + "\" is not \"HOST:CONTAINER\"");
      std::string container_port = spec.substr(colon + 1);
      if (container_port.find('/') == std::string::npos)
        container_port += "/tcp";
      exposed[container_port] = json::object{};
      bindings[container_port] = json::array{json::object{{"HostPort", spec.substr(0, colon)}}};
    }
  json::object host{{"PortBindings", std::move(bindings)},
                    {"RestartPolicy", json::object{{"Name", "unless-stopped"}}}};
  if (auto mode = str(p, "network_mode"); !mode.empty())
    host["NetworkMode"] = mode;
  json::object body{{"Image", image},
                    {"Env", std::move(env)},
                    {"ExposedPorts", std::move(exposed)},
                    {"Labels", json::object{{"ris.created_by_task", agent_id},
                                            {"ris.task_service", str(p, "service_name")}}},
                    {"HostConfig", std::move(host)}};
  if (const auto* cmd = p.if_contains("command"); cmd && cmd->is_array())
    body["Cmd"] = *cmd;
  if (auto gone = docker.json("DELETE", c + "?force=1");
      !gone && gone.error().code != Errc::not_found)
    return fail(gone.error());
  RIS_TRY(auto created, docker.json("POST", "/containers/create?name=" + net::percent_encode(name),
                                    json::serialize(body)));
  RIS_TRY_VOID(docker.json("POST", c + "/start"));
  return docker.json("GET", c + "/json");
}
}  // namespace

Result<void> load_archive(const DockerClient& docker, const std::string& image,
                          const ImageArchive& archive) {
  if (archive.format == "rootfs") {
    auto [repo, tag] = split_reference(image);
    RIS_TRY(auto reply, docker.call("POST",
                                    "/images/create?fromSrc=-&repo=" + net::percent_encode(repo) +
                                        "&tag=" + net::percent_encode(tag),
                                    archive.bytes, "application/x-tar", 10min));
    return check_progress(reply, "importing " + image);
  }
  RIS_TRY(auto reply,
          docker.call("POST", "/images/load?quiet=1", archive.bytes, "application/x-tar", 10min));
  return check_progress(reply, "loading the archive for " + image);
}

Result<void> ensure_image(const DockerClient& docker, const std::string& image,
                          const std::string& archive_id, const ArchiveFetcher& fetch) {
  auto present = docker.json("GET", "/images/" + net::percent_encode(image) + "/json");
  if (present)
    return {};
  if (present.error().code != Errc::not_found)
    return fail(present.error());
  if (!archive_id.empty()) {
    if (!fetch)
      return fail(Errc::unavailable, "no way to fetch image archive " + archive_id);
    RIS_TRY(auto archive, fetch(archive_id));
    return load_archive(docker, image, archive);
  }
  auto [repo, tag] = split_reference(image);
  RIS_TRY(auto reply, docker.call("POST",
                                  "/images/create?fromImage=" + net::percent_encode(repo) +
                                      "&tag=" + net::percent_encode(tag),
                                  {}, "application/json", 10min));
  return check_progress(reply, "pulling " + image);
}

Result<json::value> run_docker_task(const DockerClient& docker, const std::string& agent_id,
                                    const json::object& p, const OutputSink& emit,
                                    const CancelFlag& cancel, const ArchiveFetcher& fetch) {
  const std::string action = str(p, "action");
  const std::string c = "/containers/" + container_ref(p);
  if (action == "info")
    return docker.json("GET", "/info");
  if (action == "version")
    return docker.json("GET", "/version");
  if (action == "images")
    return docker.json("GET", "/images/json");
  if (action == "image_inspect")
    return docker.json("GET", "/images/" + net::percent_encode(str(p, "image")) + "/json");
  if (action == "image_remove")
    return docker.json("DELETE", "/images/" + net::percent_encode(str(p, "image")) +
                                     (p.contains("force") ? "?force=1" : ""));
  if (action == "image_pull") {
    RIS_TRY_VOID(ensure_image(docker, str(p, "image"), str(p, "image_archive"), fetch));
    return docker.json("GET", "/images/" + net::percent_encode(str(p, "image")) + "/json");
  }
  if (action == "containers") {
    // Optionally only those with a label ("ris.service=…", "app").
    std::string path = "/containers/json?all=1";
    if (auto label = str(p, "label"); !label.empty())
      path += "&filters=" + net::percent_encode(json::serialize(
                                json::object{{"label", json::array{json::value(label)}}}));
    return docker.json("GET", path);
  }
  if (action == "create") {
    const auto* body = p.if_contains("body");
    if (!body || !body->is_object())
      return fail(Errc::invalid_argument,
                  "docker create: \"body\" must be the Engine API's container create object");
    json::object b = body->as_object();
    // Containers made by hand through RIS are marked, so that the reconciler leaves them alone
    // while `containers` still shows where they came from.
    if (!b.contains("Labels") || !b["Labels"].is_object())
      b["Labels"] = json::object{};
    b["Labels"].as_object()["ris.created_by_task"] = agent_id;
    std::string path = "/containers/create";
    if (auto name = str(p, "name"); !name.empty())
      path += "?name=" + net::percent_encode(name);
    if (const auto* image = b.if_contains("Image"); image && image->is_string())
      RIS_TRY_VOID(
          ensure_image(docker, std::string(image->as_string()), str(p, "image_archive"), fetch));
    return docker.json("POST", path, json::serialize(b));
  }
  if (action.ends_with("_service"))
    return task_service(docker, agent_id, action, p, fetch);
  if (action == "start" || action == "restart") {
    RIS_TRY_VOID(docker.json("POST", c + "/" + action));
    return docker.json("GET", c + "/json");
  }
  if (action == "stop") {
    const int64_t grace = integer(p, "grace_seconds", 10);
    RIS_TRY_VOID(docker.json("POST", c + "/stop?t=" + std::to_string(grace), {},
                             std::chrono::seconds(grace + 30)));
    return docker.json("GET", c + "/json");
  }
  if (action == "remove")
    return docker.json("DELETE", c + "?force=1&v=1");
  if (action == "inspect")
    return docker.json("GET", c + "/json");
  if (action == "stats")
    return docker.json("GET", c + "/stats?stream=0");
  if (action == "logs")
    return logs(docker, str(p, "container"),
                p.contains("follow") && p.at("follow").is_bool() && p.at("follow").as_bool(),
                integer(p, "tail", 200), "", emit, cancel);
  if (action == "service_logs") {
    // Every replica of a service on this host, each line prefixed with the container's name.
    const std::string filters =
        "{\"label\":[\"ris.agent=" + agent_id + "\",\"ris.service=" + str(p, "service_id") + "\"]}";
    RIS_TRY(auto list,
            docker.json("GET", "/containers/json?all=1&filters=" + net::percent_encode(filters)));
    json::array names;
    const bool follow =
        p.contains("follow") && p.at("follow").is_bool() && p.at("follow").as_bool();
    const int64_t tail = integer(p, "tail", 200);
    // Each replica's logs are read on a thread of their own (followed ones never end on their
    // own), and handed to the run's output one whole piece at a time.
    std::mutex emit_mutex;
    const OutputSink locked = [&](std::string_view stream, std::string_view data) {
      std::lock_guard lock(emit_mutex);
      emit(stream, data);
    };
    std::vector<std::thread> readers;
    std::vector<std::string> errors(list.as_array().size());
    size_t index = 0;
    for (const auto& item : list.as_array()) {
      const auto& o = item.as_object();
      std::string name = str(o, "Id").substr(0, 12);
      if (const auto* n = o.if_contains("Names"); n && n->is_array() && !n->as_array().empty())
        name = std::string(n->as_array()[0].as_string()).substr(1);
      names.emplace_back(name);
      readers.emplace_back([&, id = str(o, "Id"), name, slot = index++] {
        if (auto r = logs(docker, id, follow, tail, name, locked, cancel); !r)
          errors[slot] = name + ": " + r.error().message;
      });
    }
    for (auto& t : readers)
      t.join();
    for (const auto& e : errors)
      if (!e.empty())
        return fail(Errc::unavailable, e);
    return json::value(json::object{{"containers", std::move(names)}});
  }
  if (action == "events") {
    // The daemon's events between since and until (seconds; until defaults to now).
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const int64_t since = integer(p, "since", now - 3600);
    const int64_t until = integer(p, "until", now);
    RIS_TRY_VOID(docker.stream(
        "GET", "/events?since=" + std::to_string(since) + "&until=" + std::to_string(until),
        [&](std::string_view piece) {
          emit("stdout", piece);
          return true;
        },
        cancel.cancelled, 60s));
    return json::value(json::object{{"since", since}, {"until", until}});
  }
  return fail(Errc::invalid_argument, "docker: unknown action \"" + action + "\"");
}

}  // namespace ris::agent
