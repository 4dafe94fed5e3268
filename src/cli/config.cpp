#include "config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>

#include "ris/security/secure_file.hpp"

namespace ris::cli {
namespace json = boost::json;

namespace {
std::string field(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
}  // namespace

std::filesystem::path config_path() {
  if (const char* p = std::getenv("RISCTL_CONFIG"); p && *p)
    return p;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
    return std::filesystem::path(x) / "ris" / "config";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".config" / "ris" / "config";
}

Result<Config> load_config(const std::filesystem::path& path) {
  RIS_TRY(auto text, security::read_small_file(path, security::kOwnerOnly));
  Config c;
  if (!text)
    return c;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object())
    return fail(Errc::invalid_argument, path.string() + " is not valid JSON: fix or remove it");
  const auto& o = v.as_object();
  c.current = field(o, "current");
  if (const auto* ctxs = o.if_contains("contexts"); ctxs && ctxs->is_object())
    for (const auto& [name, cv] : ctxs->as_object()) {
      if (!cv.is_object())
        continue;
      const auto& x = cv.as_object();
      c.contexts[std::string(name)] = {field(x, "server"),       field(x, "ca_pem"),
                                       field(x, "user"),         field(x, "space"),
                                       field(x, "space_name"),   field(x, "access_token"),
                                       field(x, "refresh_token")};
    }
  return c;
}

Result<void> save_config(const std::filesystem::path& path, const Config& config) {
  json::object ctxs;
  for (const auto& [name, c] : config.contexts)
    ctxs[name] = json::object{{"server", c.server},
                              {"ca_pem", c.ca_pem},
                              {"user", c.user},
                              {"space", c.space},
                              {"space_name", c.space_name},
                              {"access_token", c.access_token},
                              {"refresh_token", c.refresh_token}};
  RIS_TRY_VOID(security::ensure_private_dir(path.parent_path()));
  return security::write_file_atomic(
      path, json::serialize(json::object{{"current", config.current}, {"contexts", ctxs}}) + "\n",
      0600);
}

}  // namespace ris::cli
