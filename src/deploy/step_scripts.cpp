#include "step_scripts.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cctype>

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

constexpr std::string_view kRefOpen = "${secret:";

// Calls `text_part` for the text between secret references and `ref` for each reference's name.
template <typename Text, typename Ref>
void split_refs(std::string_view text, Text text_part, Ref ref) {
  for (;;) {
    const auto at = text.find(kRefOpen);
    const auto end = at == std::string_view::npos ? at : text.find('}', at);
    if (end == std::string_view::npos) {
      text_part(text);
      return;
    }
    text_part(text.substr(0, at));
    ref(text.substr(at + kRefOpen.size(), end - at - kRefOpen.size()));
    text = text.substr(end + 1);
  }
}

// A command as written, each secret reference turned into its variable.
std::string command(std::string_view raw) {
  std::string out;
  split_refs(
      raw, [&](std::string_view t) { out += t; },
      [&](std::string_view name) { out += "${" + secret_variable(name) + "}"; });
  return out;
}

void collect(const json::value& v, std::set<std::string>& out) {
  if (v.is_string()) {
    split_refs(
        v.as_string(), [](std::string_view) {},
        [&](std::string_view name) { out.insert(std::string(name)); });
  } else if (v.is_object()) {
    for (const auto& kv : v.as_object())
      collect(kv.value(), out);
  } else if (v.is_array()) {
    for (const auto& item : v.as_array())
      collect(item, out);
  }
}

}  // namespace

std::string sh_quote(std::string_view text) {
  std::string out = "'";
  split_refs(
      text,
      [&](std::string_view t) {
        for (char c : t) {
          if (c == '\'')
            out += "'\\''";
          else
            out += c;
        }
      },
      [&](std::string_view name) { out += "'\"${" + secret_variable(name) + "}\"'"; });
  return out + "'";
}

std::string secret_variable(std::string_view name) {
  std::string out = "RIS_SECRET_";
  for (char c : name)
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  return out;
}

std::set<std::string> secrets_used(const json::object& spec) {
  std::set<std::string> out;
  collect(spec, out);
  return out;
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
      out += command(reload) + "\n";
    return out;
  }
  const auto& s = spec.at("shell").as_object();
  const std::string stop = command(str(s, "stop"));
  if (change == "remove")
    return stop.empty() ? out : out + stop + "\n";
  if (const auto* files = s.if_contains("files"); files && files->is_array())
    for (const auto& f : files->as_array())
      out += place_file(f.as_object());
  if (const std::string install = str(s, "install"); !install.empty())
    out += command(install) + "\n";
  if (change == "update" && !stop.empty())
    out += stop + "\n";
  return out + command(str(s, "start")) + "\n";
}

std::string drift_script(const json::object& spec, bool repair) {
  const auto& c = spec.at("config").as_object();
  const std::string path = sh_quote(str(c, "path"));
  std::string content = str(c, "content");
  if (content.empty())
    content = str(c, "template");
  std::string mode = str(c, "mode").empty() ? "0644" : str(c, "mode");
  while (mode.size() > 1 && mode.front() == '0')
    mode.erase(mode.begin());
  std::string out = "set -e\nd=''\n";
  out += fmt::format("if [ ! -f {0} ]; then d=missing; else\n", path);
  out += "  tmp=$(mktemp)\n";
  out += fmt::format("  printf '%s' {} > \"$tmp\"\n", sh_quote(content));
  out += fmt::format("  cmp -s \"$tmp\" {} || d=content\n", path);
  out += "  rm -f \"$tmp\"\n";
  out += fmt::format("  [ \"$(stat -c %a {})\" = {} ] || d=\"${{d:+$d, }}mode\"\n", path,
                     sh_quote(mode));
  if (const std::string owner = str(c, "owner"); !owner.empty()) {
    const char* format = owner.find(':') == std::string::npos ? "%U" : "%U:%G";
    out += fmt::format("  [ \"$(stat -c {} {})\" = {} ] || d=\"${{d:+$d, }}owner\"\n", format, path,
                       sh_quote(owner));
  }
  out += "fi\n";
  out += "if [ -z \"$d\" ]; then echo 'in sync'; exit 0; fi\n";
  if (!repair)
    return out + "echo \"drifted: $d\"\n";
  return out + "(\n" + action_script("update", spec) + ")\necho \"repaired: $d\"\n";
}

std::string health_script(const json::object& spec) {
  const auto* h = spec.if_contains("health");
  if (h == nullptr || !h->is_object())
    return {};
  const auto& o = h->as_object();
  if (const std::string check = str(o, "command"); !check.empty())
    return command(check);
  const std::string timeout = str(o, "timeout_seconds").empty() ? "10" : str(o, "timeout_seconds");
  return fmt::format("curl -fsS -m {} -o /dev/null {}", timeout, sh_quote(str(o, "http")));
}

}  // namespace ris::deploy
