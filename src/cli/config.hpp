// risctl's contexts: one per server (and default space) the user signed in to, kept in
// $RISCTL_CONFIG, else $XDG_CONFIG_HOME/ris/config, else ~/.config/ris/config — JSON, mode 0600
// (it holds refresh tokens), written atomically.
#pragma once
#include <filesystem>
#include <map>
#include <string>

#include "ris/core/result.hpp"

namespace ris::cli {

struct Context {
  std::string server;  // https://host:port
  std::string ca_pem;  // the CA that verified the server at login (empty: system trust store)
  std::string user;
  std::string space;  // default space id for space-scoped commands
  std::string space_name;
  std::string access_token, refresh_token;
};

struct Config {
  std::string current;
  std::map<std::string, Context> contexts;
};

std::filesystem::path config_path();
Result<Config> load_config(const std::filesystem::path& path);  // missing file: empty config
Result<void> save_config(const std::filesystem::path& path, const Config& config);

}  // namespace ris::cli
