#include "ris/core/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ris {
namespace {
using Env = std::map<std::string, std::string>;

TEST(Config, defaults_listen_on_loopback_8057) {
  auto r = load_server_config({}, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->config.listen_host, "127.0.0.1");
  EXPECT_EQ(r->config.listen_port, 8057);
  EXPECT_EQ(r->config.tls_min_version, "1.3");
  EXPECT_GE(r->config.threads, 1u);
}

TEST(Config, flags_override_environment_which_overrides_file) {
  auto file =
      std::filesystem::temp_directory_path() / ("risd-test-" + std::to_string(getpid()) + ".conf");
  {
    std::ofstream f(file);
    f << "# comment\nlisten = 127.0.0.2:9000\nlog-level = warn\nmax-body-bytes = 2MiB\n";
  }
  auto r = load_server_config({"--config", file.string(), "--log-level=debug"},
                              Env{{"RIS_LISTEN", "127.0.0.3:9001"}});
  std::filesystem::remove(file);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->config.listen_host, "127.0.0.3");
  EXPECT_EQ(r->config.listen_port, 9001);
  EXPECT_EQ(r->config.log_level, "debug");
  EXPECT_EQ(r->config.max_body_bytes, 2u * 1024 * 1024);
}

TEST(Config, invalid_value_names_the_setting_and_its_source) {
  auto r = load_server_config({}, Env{{"RIS_HEADER_TIMEOUT", "ten"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("header-timeout"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("RIS_HEADER_TIMEOUT"), std::string::npos) << r.error().message;
}

TEST(Config, unknown_flag_and_missing_value_are_errors) {
  EXPECT_FALSE(load_server_config({"--nope", "1"}, {}));
  EXPECT_FALSE(load_server_config({"--listen"}, {}));
  EXPECT_FALSE(load_server_config({"--tls-cert-file", "a.pem"}, {}));  // key missing
}

TEST(Config, nats_url_comes_from_its_flag_or_environment_or_the_old_bus_url_name) {
  EXPECT_EQ(load_server_config({}, {})->config.bus_url, "");
  EXPECT_EQ(load_server_config({}, Env{{"RIS_NATS_URL", "nats://a:4222"}})->config.bus_url,
            "nats://a:4222");
  EXPECT_EQ(load_server_config({}, Env{{"RIS_BUS_URL", "nats://b:4222"}})->config.bus_url,
            "nats://b:4222");
  EXPECT_EQ(load_server_config({"--nats-url", "nats://c:4222"}, Env{{"RIS_NATS_URL", "nats://a"}})
                ->config.bus_url,
            "nats://c:4222");
  EXPECT_EQ(load_server_config({"--bus-url=nats://d:4222"}, {})->config.bus_url, "nats://d:4222");
  EXPECT_EQ(load_server_config({}, Env{{"RIS_NATS_URL", "nats://a"}, {"RIS_BUS_URL", "nats://a"}})
                ->config.bus_url,
            "nats://a");
  auto both =
      load_server_config({}, Env{{"RIS_NATS_URL", "nats://a"}, {"RIS_BUS_URL", "nats://b"}});
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find("RIS_BUS_URL"), std::string::npos);
  EXPECT_NE(server_config_help().find("RIS_NATS_URL"), std::string::npos);
}

TEST(Config, help_lists_every_setting_with_its_environment_variable) {
  std::string h = server_config_help();
  for (auto name : {"--listen", "RIS_LISTEN", "--data-dir", "RIS_DATA_DIR", "RIS_DATABASE_URL",
                    "RIS_LOG_LEVEL"})
    EXPECT_NE(h.find(name), std::string::npos) << name;
  auto r = load_server_config({"--help"}, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->action, ConfigAction::help);
}

TEST(Config, parses_durations_sizes_and_addresses) {
  EXPECT_EQ(parse_duration("250ms")->count(), 250);
  EXPECT_EQ(parse_duration("2m")->count(), 120'000);
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_EQ(*parse_size("16KiB"), 16u * 1024);
  EXPECT_FALSE(parse_size("16kb"));
  EXPECT_FALSE(parse_size("99999999999999999999"));
  auto v6 = parse_host_port("[::1]:8057");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(parse_host_port(":80")->first, "0.0.0.0");
  EXPECT_FALSE(parse_host_port("::1:80"));
  EXPECT_FALSE(parse_host_port("host:70000"));
}

TEST(Config, counts_are_whole_numbers_within_their_range) {
  auto ok = load_server_config({"--max-handshakes", "32", "--agent-accept-rate", "0"}, {});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->config.max_handshakes, 32u);
  EXPECT_EQ(ok->config.agent_accept_rate, 0u);  // 0: no cap
  auto zero = load_server_config({"--max-handshakes", "0"}, {});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("between 1 and 100000"), std::string::npos)
      << zero.error().message;
  EXPECT_FALSE(load_server_config({"--backup-keep", "10001"}, {}));
  EXPECT_FALSE(load_server_config({"--agent-accept-rate", "-1"}, {}));
  EXPECT_FALSE(load_server_config({}, Env{{"RIS_MAX_HANDSHAKES", "many"}}));
}
}  // namespace
}  // namespace ris
