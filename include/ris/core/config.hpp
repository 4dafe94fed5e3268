// risd's configuration: one table of settings, read from defaults, then an optional file, then
// the environment (RIS_*), then command-line flags — later sources win. `risd --help` is
// generated from the same table, so a setting cannot exist without being documented.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ris/core/result.hpp"

namespace ris {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8057;
  std::filesystem::path data_dir = "data";
  std::filesystem::path master_key_file;  // empty: DATA_DIR/master.key, created on first start
  std::string database_url;               // empty: SQLite in data_dir
  std::string bus_url;                    // --nats-url / RIS_NATS_URL; empty: in-process bus
  std::string log_level = "info";
  unsigned threads = 0;                               // 0: one per core
  std::filesystem::path tls_cert_file, tls_key_file;  // operator-supplied; else own CA
  std::string tls_min_version = "1.3";
  std::string signup = "open";            // open | invite | closed
  std::vector<std::string> server_names;  // extra SANs for the generated certificate
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keepalive_timeout{60'000};
  std::chrono::milliseconds ws_idle_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::chrono::milliseconds agent_lost_after{60'000};
  uint64_t agent_accept_rate = 500;                // agent connections per second (0: no cap)
  uint64_t max_handshakes = 256;                   // TLS handshakes in progress at once
  std::string server_id;                           // empty: a new id at every start
  std::chrono::milliseconds server_lease{10'000};  // presence lease in the store, renewed at 1/3
  std::vector<std::string> advertise_urls;         // empty: https://LISTEN:PORT
  std::filesystem::path bootstrap_agent_file;      // ./scripts/run's local agent
  uint64_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = 1024 * 1024;
  uint64_t max_upload_bytes = 64 * 1024 * 1024;  // routes added as uploads (image archives)
  uint64_t max_ws_message_bytes = 64 * 1024;
  uint64_t ws_write_queue_bytes = 4 * 1024 * 1024;
  // Scheduled backups of the SQLite database (0: off); the newest `backup_keep` are kept.
  std::chrono::milliseconds backup_interval{0};
  uint64_t backup_keep = 7;
  std::filesystem::path backup_dir;  // empty: DATA_DIR/backups
};

enum class ConfigAction { run, help, version };

struct LoadedConfig {
  ConfigAction action = ConfigAction::run;
  ServerConfig config;
};

// `env` is the process environment as a map (tests pass their own). Errors name the setting and
// where its bad value came from.
Result<LoadedConfig> load_server_config(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env);
std::map<std::string, std::string> environment_map();
std::string server_config_help();

// Parsers shared with other tools: "250ms", "30s", "5m", "1h"; "512", "16KiB", "4MiB", "1GiB".
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
Result<uint64_t> parse_size(std::string_view text);
// "host:port", "[::1]:8057", ":8057" (all interfaces).
Result<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text);

}  // namespace ris
