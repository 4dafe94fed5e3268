#include "step_scripts.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace ris::deploy {
namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return {};
  if (v->is_string())
    return std::string(v->as_string());
  return json::serialize(*v);
}

// Written next to its destination, then renamed over it: a reader never sees half a file.
std::string place_file(const json::object& f) {
  const std::string path = str(f, "path");
  std::string content = str(f, "content");
  if (content.empty())
    content = str(f, "template");
  std::string out =
      fmt::format("mkdir -p \"$(dirname {0})\"\ntmp=$(mktemp {0}.ris-XXXXXX)\n", sh_quote(path));
  out += fmt::format("printf '%s' {} > \"$tmp\"\n", sh_quote(content));  // printf: a builtin
  out += fmt::format("chmod {} \"$tmp\"\n",
                     sh_quote(str(f, "mode").empty() ? "0644" : str(f, "mode")));
  if (const std::string owner = str(f, "owner"); !owner.empty())
    out += fmt::format("chown {} \"$tmp\"\n", sh_quote(owner));
  out += fmt::format("mv -f \"$tmp\" {}\n", sh_quote(path));
  return out;
}

}  // namespace

std::string sh_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string action_script(std::string_view change, const json::object& spec) {
  std::string out = "set -e\n";
  const std::string kind = str(spec, "kind");
  if (kind == "config") {
    const auto& c = spec.at("config").as_object();
    if (change == "remove")
      return out + fmt::format("rm -f {}\n", sh_quote(str(c, "path")));
    out += place_file(c);
    if (const std::string reload = str(c, "reload"); !reload.empty())
      out += reload + "\n";
    return out;
  }
  const auto& s = spec.at("shell").as_object();
  const std::string stop = str(s, "stop");
  if (change == "remove")
    return stop.empty() ? out : out + stop + "\n";
  if (const auto* files = s.if_contains("files"); files && files->is_array())
    for (const auto& f : files->as_array())
      out += place_file(f.as_object());
  if (const std::string install = str(s, "install"); !install.empty())
    out += install + "\n";
  if (change == "update" && !stop.empty())
    out += stop + "\n";
  return out + str(s, "start") + "\n";
}

std::string health_script(const json::object& spec) {
  const auto* h = spec.if_contains("health");
  if (h == nullptr || !h->is_object())
    return {};
  const auto& o = h->as_object();
  if (const std::string command = str(o, "command"); !command.empty())
    return command;
  const std::string timeout = str(o, "timeout_seconds").empty() ? "10" : str(o, "timeout_seconds");
  return fmt::format("curl -fsS -m {} -o /dev/null {}", timeout, sh_quote(str(o, "http")));
}

}  // namespace ris::deploy
