#include "ris/core/config.hpp"

#include <fmt/format.h>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <thread>

extern char** environ;

namespace ris {
namespace {

struct Setting {
  std::string_view name;  // flag (--name), file key (name = value)
  std::string_view env;   // environment variable
  std::string_view value_hint;
  std::string_view help;
  std::function<Result<void>(ServerConfig&, std::string_view)> apply;
  // An older name still accepted (flag, file key and environment), e.g. bus-url/RIS_BUS_URL.
  std::string_view alias_name = {};
  std::string_view alias_env = {};
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Result<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty())
    return fail(Errc::invalid_argument, fmt::format("'{}' is not a whole number", s));
  return v;
}

template <typename Field>
auto set_duration(Field field) {
  return [field](ServerConfig& c, std::string_view v) -> Result<void> {
    RIS_TRY(auto d, parse_duration(v));
    if (d.count() <= 0)
      return fail(Errc::invalid_argument, "must be greater than zero");
    c.*field = d;
    return {};
  };
}
// A whole number in [min, max]; `note` follows the range in the error (e.g. "0: no cap").
auto set_count(uint64_t ServerConfig::*field, uint64_t min, uint64_t max,
               std::string_view note = {}) {
  return [=](ServerConfig& c, std::string_view v) -> Result<void> {
    RIS_TRY(auto n, parse_u64(v));
    if (n < min || n > max)
      return fail(Errc::invalid_argument,
                  fmt::format("must be between {} and {}{}", min, max,
                              note.empty() ? "" : fmt::format(" ({})", note)));
    c.*field = n;
    return {};
  };
}
template <typename Field>
auto set_size(Field field) {
  return [field](ServerConfig& c, std::string_view v) -> Result<void> {
    RIS_TRY(auto n, parse_size(v));
    if (n == 0)
      return fail(Errc::invalid_argument, "must be greater than zero");
    c.*field = n;
    return {};
  };
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"config", "RIS_CONFIG", "FILE",
       "read settings from FILE (lines of `name = value`, # comments)",
       [](ServerConfig&, std::string_view) -> Result<void> { return {}; }},
      {"listen", "RIS_LISTEN", "HOST:PORT",
       "TLS address for HTTPS, WebSocket and agents (127.0.0.1:8057)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         RIS_TRY(auto hp, parse_host_port(v));
         c.listen_host = hp.first;
         c.listen_port = hp.second;
         return {};
       }},
      {"data-dir", "RIS_DATA_DIR", "DIR", "where the database, CA and keys live (./data)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         if (v.empty())
           return fail(Errc::invalid_argument, "must not be empty");
         c.data_dir = std::string(v);
         return {};
       }},
      {"master-key-file", "RIS_MASTER_KEY_FILE", "FILE",
       "the master key that encrypts secrets at rest (default: DATA_DIR/master.key, created on"
       " first start); back it up apart from the database; `risd admin rotate-master-key` replaces "
       "it",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.master_key_file = std::string(v);
         return {};
       }},
      {"database-url", "RIS_DATABASE_URL", "URL",
       "sqlite:PATH (default: DATA_DIR/ris.db), or postgres://USER@HOST:PORT/DB"
       " (libpq: ?sslmode=verify-full&sslrootcert=FILE, password from PGPASSFILE/~/.pgpass or"
       " PGPASSWORD; &pool_size=N connections, default 8)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.database_url = std::string(v);
         return {};
       }},
      {"nats-url", "RIS_NATS_URL", "URL",
       "the event bus between servers: nats://HOST:PORT[,HOST:PORT...] (tls:// for TLS), "
       "credentials as USER:PASSWORD@HOST, ?token=T or ?creds=FILE, TLS files as "
       "?ca=FILE&cert=FILE&key=FILE; empty for the in-process bus of a single server (default). "
       "risd starts even when NATS is down and connects when it comes up",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.bus_url = std::string(v);
         return {};
       },
       "bus-url", "RIS_BUS_URL"},
      {"log-level", "RIS_LOG_LEVEL", "LEVEL", "debug, info, warn or error (info)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         if (v != "debug" && v != "info" && v != "warn" && v != "error")
           return fail(Errc::invalid_argument, "must be debug, info, warn or error");
         c.log_level = std::string(v);
         return {};
       }},
      {"threads", "RIS_THREADS", "N", "I/O threads; 0 means one per core (0)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         RIS_TRY(auto n, parse_u64(v));
         if (n > 256)
           return fail(Errc::invalid_argument, "must be at most 256");
         c.threads = static_cast<unsigned>(n);
         return {};
       }},
      {"tls-cert-file", "RIS_TLS_CERT_FILE", "FILE",
       "operator-supplied certificate chain (PEM); needs --tls-key-file",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.tls_cert_file = std::string(v);
         return {};
       }},
      {"tls-key-file", "RIS_TLS_KEY_FILE", "FILE",
       "operator-supplied private key (PEM); needs --tls-cert-file",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.tls_key_file = std::string(v);
         return {};
       }},
      {"tls-min-version", "RIS_TLS_MIN_VERSION", "1.3|1.2", "lowest TLS version accepted (1.3)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         if (v != "1.3" && v != "1.2")
           return fail(Errc::invalid_argument, "must be 1.3 or 1.2");
         c.tls_min_version = std::string(v);
         return {};
       }},
      {"signup", "RIS_SIGNUP", "open|invite|closed",
       "who may create an account: anyone, holders of a space invitation, or only administrators "
       "(open)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         if (v != "open" && v != "invite" && v != "closed")
           return fail(Errc::invalid_argument, "must be open, invite or closed");
         c.signup = std::string(v);
         return {};
       }},
      {"server-names", "RIS_SERVER_NAMES", "NAME,...",
       "extra DNS names / IPs for the generated server certificate",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.server_names.clear();
         while (!v.empty()) {
           auto comma = v.find(',');
           auto item = trim(v.substr(0, comma));
           if (!item.empty())
             c.server_names.emplace_back(item);
           if (comma == std::string_view::npos)
             break;
           v.remove_prefix(comma + 1);
         }
         return {};
       }},
      {"handshake-timeout", "RIS_HANDSHAKE_TIMEOUT", "DURATION",
       "TLS and WebSocket handshake limit (10s)", set_duration(&ServerConfig::handshake_timeout)},
      {"header-timeout", "RIS_HEADER_TIMEOUT", "DURATION",
       "time to receive a request's headers (10s)", set_duration(&ServerConfig::header_timeout)},
      {"body-timeout", "RIS_BODY_TIMEOUT", "DURATION", "time to receive a request's body (30s)",
       set_duration(&ServerConfig::body_timeout)},
      {"keepalive-timeout", "RIS_KEEPALIVE_TIMEOUT", "DURATION",
       "idle HTTP keep-alive connection limit (60s)",
       set_duration(&ServerConfig::keepalive_timeout)},
      {"ws-idle-timeout", "RIS_WS_IDLE_TIMEOUT", "DURATION",
       "WebSocket closed after this long without traffic; pinged at half (60s)",
       set_duration(&ServerConfig::ws_idle_timeout)},
      {"shutdown-timeout", "RIS_SHUTDOWN_TIMEOUT", "DURATION",
       "how long SIGTERM waits for in-flight work (10s)",
       set_duration(&ServerConfig::shutdown_timeout)},
      {"bootstrap-agent-file", "RIS_BOOTSTRAP_AGENT_FILE", "FILE",
       "at start, write a one-use join token for a local agent here (used by ./scripts/run)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.bootstrap_agent_file = std::string(v);
         return {};
       }},
      {"agent-lost-after", "RIS_AGENT_LOST_AFTER", "DURATION",
       "an agent away this long has its running tasks marked lost (60s)",
       set_duration(&ServerConfig::agent_lost_after)},
      {"agent-accept-rate", "RIS_AGENT_ACCEPT_RATE", "N",
       "agent connections taken per second; beyond it agents are told to retry, so a cluster "
       "server that dies does not bury the others in reconnects (500; 0: no cap)",
       set_count(&ServerConfig::agent_accept_rate, 0, 1'000'000, "0: no cap")},
      {"max-handshakes", "RIS_MAX_HANDSHAKES", "N",
       "TLS handshakes in progress at once; more connections wait in the kernel's accept queue "
       "(256)",
       set_count(&ServerConfig::max_handshakes, 1, 100'000)},
      {"server-id", "RIS_SERVER_ID", "ID",
       "this server's id among the servers sharing the database: letters, digits, '.', '_', '-' "
       "(default: a new id at every start)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         if (v.empty() || v.size() > 64)
           return fail(Errc::invalid_argument, "must be 1 to 64 characters");
         for (char ch : v)
           if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
             return fail(Errc::invalid_argument, "may hold only letters, digits, '.', '_', '-'");
         c.server_id = std::string(v);
         return {};
       }},
      {"server-lease", "RIS_SERVER_LEASE", "DURATION",
       "how long this server's registration in the database lasts unless renewed (every third "
       "of it); past it, other servers treat it as dead and sweep its agents' runs (10s)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         RIS_TRY(auto d, parse_duration(v));
         if (d < std::chrono::milliseconds(300))
           return fail(Errc::invalid_argument, "must be at least 300ms");
         c.server_lease = d;
         return {};
       }},
      {"advertise-url", "RIS_ADVERTISE_URL", "URL",
       "how agents and other servers reach this server (https://host:port), sent to agents in "
       "the cluster's server list; several comma-separated (default: https://LISTEN:PORT, with "
       "127.0.0.1 for a wildcard listen address)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         c.advertise_urls.clear();
         while (!v.empty()) {
           const auto comma = v.find(',');
           const auto url = trim(v.substr(0, comma));
           v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
           if (url.empty())
             continue;
           if (!url.starts_with("https://") || url.size() <= 8)
             return fail(Errc::invalid_argument, fmt::format("'{}' is not an https:// URL", url));
           c.advertise_urls.emplace_back(url);
         }
         if (c.advertise_urls.empty())
           return fail(Errc::invalid_argument, "no URL given");
         return {};
       }},
      {"max-header-bytes", "RIS_MAX_HEADER_BYTES", "SIZE",
       "request header limit, answered 431 (16KiB)", set_size(&ServerConfig::max_header_bytes)},
      {"max-body-bytes", "RIS_MAX_BODY_BYTES", "SIZE", "request body limit, answered 413 (1MiB)",
       set_size(&ServerConfig::max_body_bytes)},
      {"max-upload-bytes", "RIS_MAX_UPLOAD_BYTES", "SIZE",
       "body limit of upload routes (image archives), answered 413 (64MiB)",
       set_size(&ServerConfig::max_upload_bytes)},
      {"max-ws-message-bytes", "RIS_MAX_WS_MESSAGE_BYTES", "SIZE",
       "WebSocket message limit, closed with 1009 (64KiB)",
       set_size(&ServerConfig::max_ws_message_bytes)},
      {"ws-write-queue-bytes", "RIS_WS_WRITE_QUEUE_BYTES", "SIZE",
       "per-connection send queue; a slower reader is cut off (4MiB)",
       set_size(&ServerConfig::ws_write_queue_bytes)},
      {"backup-interval", "RIS_BACKUP_INTERVAL", "MINUTES",
       "write an online backup of the SQLite database every MINUTES (or a duration: 30s, 2h) "
       "into --backup-dir; 0 turns it off (0)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         if (!v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos) {
           RIS_TRY(auto minutes, parse_u64(v));
           if (minutes > 60 * 24 * 366)
             return fail(Errc::invalid_argument, "must be at most a year of minutes");
           c.backup_interval = std::chrono::minutes(minutes);
           return {};
         }
         RIS_TRY(auto d, parse_duration(v));
         c.backup_interval = d;
         return {};
       }},
      {"backup-keep", "RIS_BACKUP_KEEP", "N", "scheduled backups kept; older ones are deleted (7)",
       set_count(&ServerConfig::backup_keep, 1, 10'000)},
      {"backup-dir", "RIS_BACKUP_DIR", "DIR",
       "where scheduled backups are written (DATA_DIR/backups)",
       [](ServerConfig& c, std::string_view v) -> Result<void> {
         if (v.empty())
           return fail(Errc::invalid_argument, "must not be empty");
         c.backup_dir = std::string(v);
         return {};
       }},
  };
  return table;
}

const Setting* find_setting(std::string_view name) {
  for (const auto& s : settings())
    if (s.name == name || (!s.alias_name.empty() && s.alias_name == name))
      return &s;
  return nullptr;
}

Result<void> apply(ServerConfig& c, const Setting& s, std::string_view value,
                   std::string_view source) {
  auto r = s.apply(c, trim(value));
  if (!r)
    return fail(Errc::invalid_argument, fmt::format("invalid setting {} = '{}' (from {}): {}",
                                                    s.name, value, source, r.error().message));
  return {};
}

Result<void> apply_file(ServerConfig& c, const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    return fail(Errc::invalid_argument, fmt::format("cannot read config file {}", path.string()));
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#')
      continue;
    auto eq = l.find('=');
    if (eq == std::string_view::npos)
      return fail(Errc::invalid_argument,
                  fmt::format("{}:{}: expected `name = value`", path.string(), lineno));
    auto name = trim(l.substr(0, eq));
    auto value = trim(l.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    const Setting* s = find_setting(name);
    if (!s || s->name == "config")
      return fail(Errc::invalid_argument,
                  fmt::format("{}:{}: unknown setting '{}' (see risd --help)", path.string(),
                              lineno, name));
    RIS_TRY_VOID(apply(c, *s, value, fmt::format("{}:{}", path.string(), lineno)));
  }
  return {};
}

}  // namespace

namespace {
struct Unit {
  std::string_view name;
  uint64_t multiplier;
};

// "<digits><unit>" → digits × the unit's multiplier, refusing results above `max`.
Result<uint64_t> parse_with_unit(std::string_view text, std::initializer_list<Unit> units,
                                 uint64_t max, std::string_view what) {
  std::string_view t = trim(text);
  size_t i = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9')
    ++i;
  std::string names;
  for (const auto& u : units)
    names += fmt::format("{}{}", names.empty() ? "" : ", ", u.name.empty() ? "(none)" : u.name);
  if (i == 0)
    return fail(Errc::invalid_argument,
                fmt::format("'{}' is not a {} (units: {})", text, what, names));
  RIS_TRY(uint64_t n, parse_u64(t.substr(0, i)));
  for (const auto& u : units) {
    if (u.name != t.substr(i))
      continue;
    if (n > max / u.multiplier)
      return fail(Errc::invalid_argument, fmt::format("'{}' is too large a {}", text, what));
    return n * u.multiplier;
  }
  return fail(Errc::invalid_argument, fmt::format("'{}': the unit must be one of {}", text, names));
}
}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  RIS_TRY(uint64_t ms,
          parse_with_unit(text, {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}},
                          uint64_t{1} << 40, "duration"));
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<uint64_t> parse_size(std::string_view text) {
  return parse_with_unit(
      text, {{"", 1}, {"B", 1}, {"KiB", 1u << 10}, {"MiB", 1u << 20}, {"GiB", 1u << 30}},
      uint64_t{1} << 50, "size");
}

Result<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(Errc::invalid_argument, "expected [IPv6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return fail(Errc::invalid_argument, "expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail(Errc::invalid_argument, "an IPv6 address needs brackets: [::1]:8057");
  }
  auto p = parse_u64(port);
  if (!p || *p > 65535)
    return fail(Errc::invalid_argument, fmt::format("'{}' is not a port number", port));
  return std::pair<std::string, uint16_t>{host.empty() ? "0.0.0.0" : std::string(host),
                                          static_cast<uint16_t>(*p)};
}

std::map<std::string, std::string> environment_map() {
  std::map<std::string, std::string> m;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("RIS_"))
      continue;
    auto eq = kv.find('=');
    if (eq != std::string_view::npos)
      m.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return m;
}

std::string server_config_help() {
  std::string out =
      "risd — the RIS control server.\n\n"
      "Usage: risd [--SETTING VALUE]...\n"
      "       risd restore BACKUP.db --data-dir DIR [--force]   a backup into a new data "
      "directory\n"
      "       risd admin reset-fleet-history --data-dir DIR --yes\n"
      "                                      delete tasks, runs, health samples, audit log\n"
      "       (each subcommand's --help says more; see docs/operations.md)\n\n"
      "Every setting can also come from the environment or a config file; flags win over the\n"
      "environment, which wins over the file. Durations: 500ms, 30s, 5m, 1h. Sizes: 512, 16KiB, "
      "4MiB.\n\n"
      "Settings:\n";
  for (const auto& s : settings()) {
    out += fmt::format("  --{} {}\n      {}  [env {}]\n", s.name, s.value_hint, s.help, s.env);
    if (!s.alias_name.empty())
      out += fmt::format("      (also accepted under its old name: --{}, {})\n", s.alias_name,
                         s.alias_env);
  }
  out += "  --help      show this text\n  --version   print the version\n";
  return out;
}

Result<LoadedConfig> load_server_config(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env) {
  LoadedConfig out;
  // Flags first into a list, so the file (named by flag or env) can be applied before them.
  std::vector<std::pair<const Setting*, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out.action = ConfigAction::help;
      return out;
    }
    if (a == "--version") {
      out.action = ConfigAction::version;
      return out;
    }
    if (!a.starts_with("--"))
      return fail(Errc::invalid_argument,
                  fmt::format("unexpected argument '{}' (see risd --help)", a));
    a.remove_prefix(2);
    std::string value;
    auto eq = a.find('=');
    std::string_view name = a.substr(0, eq);
    const Setting* s = find_setting(name);
    if (!s)
      return fail(Errc::invalid_argument, fmt::format("unknown flag --{} (see risd --help)", name));
    if (eq != std::string_view::npos) {
      value = std::string(a.substr(eq + 1));
    } else {
      if (i + 1 >= args.size())
        return fail(Errc::invalid_argument, fmt::format("--{} needs a value", name));
      value = args[++i];
    }
    flags.emplace_back(s, std::move(value));
  }

  std::string config_file;
  if (auto it = env.find("RIS_CONFIG"); it != env.end())
    config_file = it->second;
  for (auto& [s, v] : flags)
    if (s->name == "config")
      config_file = v;
  if (!config_file.empty())
    RIS_TRY_VOID(apply_file(out.config, config_file));

  for (const auto& s : settings()) {
    if (s.name == "config")
      continue;
    auto it = env.find(std::string(s.env));
    auto old = s.alias_env.empty() ? env.end() : env.find(std::string(s.alias_env));
    if (it != env.end() && old != env.end() && it->second != old->second)
      return fail(Errc::invalid_argument,
                  fmt::format("{} and {} (its old name) are both set, to different values; "
                              "keep {}",
                              s.env, s.alias_env, s.env));
    if (it != env.end())
      RIS_TRY_VOID(apply(out.config, s, it->second, s.env));
    else if (old != env.end())
      RIS_TRY_VOID(apply(out.config, s, old->second, s.alias_env));
  }
  for (auto& [s, v] : flags) {
    if (s->name == "config")
      continue;
    RIS_TRY_VOID(apply(out.config, *s, v, fmt::format("--{}", s->name)));
  }

  auto& c = out.config;
  if (c.tls_cert_file.empty() != c.tls_key_file.empty())
    return fail(Errc::invalid_argument, "tls-cert-file and tls-key-file must be given together");
  if (c.threads == 0)
    c.threads = std::max(1u, std::thread::hardware_concurrency());
  return out;
}

}  // namespace ris
