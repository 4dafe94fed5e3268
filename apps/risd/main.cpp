// risd: the RIS control server. Wires configuration, credentials, store, bus, metrics, scheduled
// backups and the route table into one TLS server, then waits for SIGTERM/SIGINT and drains.
// `risd restore` and `risd admin` are offline subcommands (subcommands.hpp).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string_view>

#include "backup_schedule.hpp"
#include "ris/api/api.hpp"
#include "ris/bus/bus.hpp"
#include "ris/bus/stream.hpp"
#include "ris/cluster/cluster_files.hpp"
#include "ris/cluster/duty_loop.hpp"
#include "ris/core/config.hpp"
#include "ris/core/log.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/deploy/deployer.hpp"
#include "ris/deploy/secrets.hpp"
#include "ris/fleet/presence.hpp"
#include "ris/identity/accounts.hpp"
#include "ris/identity/audit.hpp"
#include "ris/identity/sessions.hpp"
#include "ris/metrics/metrics.hpp"
#include "ris/metrics/process_metrics.hpp"
#include "ris/net/server.hpp"
#include "ris/schedule/scheduler.hpp"
#include "ris/security/ca.hpp"
#include "ris/security/ed25519.hpp"
#include "ris/security/secure_file.hpp"
#include "ris/store/store.hpp"
#include "secrets.hpp"
#include "subcommands.hpp"

namespace {

int die(const std::string& message) {
  ris::log::error("startup_failed", {{"error", message}});
  ris::log::flush();
  std::fprintf(stderr, "risd: %s\n", message.c_str());
  return 1;
}

// Every agent is a socket: use all the descriptors the hard limit allows.
std::pair<rlim_t, rlim_t> raise_open_files_limit() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit wanted = rl;
    wanted.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0)
      rl = wanted;
  }
  return {rl.rlim_cur, rl.rlim_max};
}

std::string url_host(const std::string& host) {
  if (host == "0.0.0.0" || host == "::")
    return "127.0.0.1";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// ./scripts/run's local agent: the first administrator's "default" space and a one-use join
// token for it, written with the URL and CA pin as "URL TOKEN CA_HASH".
ris::Result<void> write_bootstrap_agent_file(const std::filesystem::path& file,
                                             const std::string& url, const std::string& ca_hash,
                                             ris::store::Store& store,
                                             ris::identity::Accounts& accounts,
                                             ris::identity::Spaces& spaces,
                                             ris::fleet::Agents& agents) {
  RIS_TRY(auto all, accounts.search("", 500));
  auto admin = std::find_if(all.begin(), all.end(), [](const ris::identity::Account& a) {
    return std::find(a.app_roles.begin(), a.app_roles.end(),
                     ris::identity::kApplicationAdministrator) != a.app_roles.end();
  });
  if (admin == all.end())
    return ris::fail(ris::Errc::not_found, "no administrator account");
  ris::identity::Principal principal{admin->id, admin->app_roles, std::nullopt};
  RIS_TRY(auto mine, spaces.of_account(admin->id));
  auto space =
      std::find_if(mine.begin(), mine.end(), [](const auto& s) { return s.name == "default"; });
  std::string space_id;
  if (space != mine.end()) {
    space_id = space->id;
  } else {
    RIS_TRY(auto created, spaces.create(principal, "default",
                                        "The first space, with this machine's agent", false));
    space_id = created.id;
  }
  RIS_TRY(auto access, ris::identity::load_access(store, space_id, principal));
  RIS_TRY(auto token, agents.create_join_token(access, {{{"local", "true"}}, 600, 1}));
  return ris::security::write_file_atomic(file, url + " " + token.token + " " + ca_hash + "\n",
                                          0600);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string_view(argv[1]) == "admin" &&
      std::string_view(argv[2]) == "rotate-master-key")
    return risd::rotate_master_key_main(std::vector<std::string>(argv + 3, argv + argc));
  if (argc > 1 && std::string_view(argv[1]) == "restore")
    return ris::risd::run_restore(std::vector<std::string>(argv + 2, argv + argc));
  if (argc > 1 && std::string_view(argv[1]) == "admin")
    return ris::risd::run_admin(std::vector<std::string>(argv + 2, argv + argc));
  // Signals are taken synchronously by the main thread (sigwait); block them before any thread
  // starts so no other thread is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto loaded = ris::load_server_config(std::vector<std::string>(argv + 1, argv + argc),
                                        ris::environment_map());
  if (!loaded) {
    std::fprintf(stderr, "risd: %s\n", loaded.error().message.c_str());
    return 2;
  }
  if (loaded->action == ris::ConfigAction::help) {
    std::fputs(ris::server_config_help().c_str(), stdout);
    return 0;
  }
  if (loaded->action == ris::ConfigAction::version) {
    std::printf("risd %s\n", std::string(ris::api::kVersion).c_str());
    return 0;
  }
  const ris::ServerConfig config = loaded->config;
  ris::log::Level level = ris::log::Level::info;
  ris::log::parse_level(config.log_level, level);
  ris::log::init(level);

  const auto [fd_soft, fd_hard] = raise_open_files_limit();

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec)
    return die(
        fmt::format("cannot create data directory {}: {}", config.data_dir.string(), ec.message()));
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);

  // Before anything that stores a secret: the master key they are sealed under.
  auto secrets = risd::open_master_key(config);
  if (!secrets)
    return die(secrets.error().message);
  const ris::security::SecretBox& secret_box = *secrets;

  auto store = ris::store::open_store(config.database_url, config.data_dir);
  if (!store)
    return die(store.error().message);

  // risd's own CA always exists: it signs agents' client certificates, even when the operator
  // supplies the server's certificate. Servers sharing a database share it, and the task key.
  const auto tls_dir = config.data_dir / "tls";
  if (auto r = ris::cluster::pull_cluster_files(**store, tls_dir, secret_box); !r)
    return die("cannot take the cluster's CA from the database: " + r.error().message);
  auto own = ris::security::ensure_server_credentials(tls_dir, config.server_names);
  if (!own)
    return die(own.error().message);
  auto task_key = risd::load_or_create_task_key(tls_dir / "task.key", secret_box);
  if (!task_key)
    return die(task_key.error().message);
  auto pushed = ris::cluster::push_cluster_files(**store, tls_dir, secret_box, own->created_ca);
  if (!pushed)
    return die(pushed.error().message);
  if (*pushed) {  // another first server was quicker: its CA and key, not the ones just made
    own = ris::security::ensure_server_credentials(tls_dir, config.server_names);
    if (!own)
      return die(own.error().message);
    task_key = risd::load_or_create_task_key(tls_dir / "task.key", secret_box);
    if (!task_key)
      return die(task_key.error().message);
  }
  if (own->created_ca)
    ris::log::info("ca_created", {{"dir", tls_dir.string()}});
  auto creds = config.tls_cert_file.empty() ? std::move(own)
                                            : ris::security::load_operator_credentials(
                                                  config.tls_cert_file, config.tls_key_file);
  if (!creds)
    return die(creds.error().message);
  const std::string agent_ca_pem =
      config.tls_cert_file.empty() ? creds->ca_cert_pem : own->ca_cert_pem;

  auto bus = ris::bus::open_bus(config.bus_url);
  if (!bus)
    return die(bus.error().message);

  // First start: an administrator, from RIS_ADMIN_EMAIL / RIS_ADMIN_PASSWORD (environment only:
  // flags would show the password in `ps`), or with a random password shown once.
  ris::identity::Accounts accounts(**store);
  ris::identity::AuditLog audit(**store);
  const char* admin_email = std::getenv("RIS_ADMIN_EMAIL");
  const char* admin_password = std::getenv("RIS_ADMIN_PASSWORD");
  auto admin = accounts.ensure_first_admin(admin_email ? admin_email : "admin@localhost",
                                           admin_password ? admin_password : "");
  if (!admin)
    return die("cannot create the first administrator: " + admin.error().message);
  ris::identity::Sessions sessions(**store, secret_box, {});
  if (auto r = sessions.init(); !r)
    return die("cannot load the token signing keys: " + r.error().message);

  ris::metrics::Registry registry;
  ris::metrics::register_process_metrics(registry);
  ris::WorkerPool blocking(4);
  ris::identity::Spaces spaces(**store);
  ris::identity::ApiTokens api_tokens(**store);
  ris::identity::Members members(**store);
  ris::identity::Roles roles(**store);
  ris::identity::Invitations invitations(**store);
  ris::identity::TwoFactor two_factor(**store, secret_box, accounts);
  if (auto r = two_factor.seal_plaintext(); !r)
    return die("cannot seal the stored TOTP secrets: " + r.error().message);
  ris::identity::SignInThrottle throttle;
  ris::api::ApiContext ctx{config,      **store,    **bus,    registry,        blocking, accounts,
                           sessions,    audit,      spaces,   api_tokens,      members,  roles,
                           invitations, two_factor, throttle, creds->ca_sha256};
  ris::fleet::Agents agents(**store, tls_dir);
  // This server among those sharing the store: registered (with its URL) once it listens.
  ris::fleet::Presence presence(**store, {.server_id = config.server_id,
                                          .lease = config.server_lease,
                                          .version = std::string(ris::api::kVersion)});
  ris::fleet::Gateway gateway(**store, agents, presence, blocking, std::move(*task_key),
                              {.lost_after = config.agent_lost_after, .secrets = &secret_box},
                              bus->get());
  ris::fleet::Tasks tasks(**store, agents, gateway);
  ctx.agents = &agents;
  ctx.presence = &presence;
  ctx.gateway = &gateway;
  ctx.tasks = &tasks;
  ris::services::Services services(**store, secret_box, agents, gateway,
                                   config.data_dir / "images");
  if (auto r = services.seal_plaintext(); !r)
    return die("cannot seal the stored service secrets: " + r.error().message);
  services.attach();
  ctx.services = &services;
  ris::schedule::Schedules schedules(**store);
  ris::schedule::Scheduler scheduler(**store, presence, tasks, &services);
  ctx.schedules = &schedules;
  ris::kv::Kv kv(**store, bus->get());
  ctx.kv = &kv;
  // On several servers (NATS configured) new topics keep their messages in JetStream.
  std::unique_ptr<ris::bus::Streams> streams;
  if (!config.bus_url.empty()) {
    auto opened = ris::bus::open_streams(config.bus_url);
    if (!opened)
      return die(opened.error().message);
    streams = std::move(*opened);
  }
  ris::queue::Queues queues(**store, streams.get(), bus->get());
  ctx.queues = &queues;
  ris::deploy::Secrets deploy_secrets(**store, secret_box);
  ctx.deploy_secrets = &deploy_secrets;
  ris::deploy::Deployments deployments(**store, &deploy_secrets);
  ctx.deployments = &deployments;
  ris::deploy::Deployer deployer(**store, tasks, services, deploy_secrets);
  ris::cluster::DutyLoop deploying(
      **store, "deployer", presence.server_id(), presence.lease(), std::chrono::milliseconds(500),
      [&deployer](ris::SystemTime now, const ris::cluster::Fence& fence) {
        return deployer.round(now, fence);
      });
  // Small duties, four times a second on whichever server holds each.
  ris::cluster::DutyLoop kv_expiry(
      **store, "kv_expiry", presence.server_id(), presence.lease(), std::chrono::milliseconds(250),
      [&kv](ris::SystemTime now, const ris::cluster::Fence& fence) -> ris::Result<void> {
        RIS_TRY_VOID(kv.expire(now, fence));
        return {};
      });
  ris::cluster::DutyLoop queue_trim(
      **store, "queue_retention", presence.server_id(), presence.lease(), std::chrono::seconds(5),
      [&queues](ris::SystemTime now, const ris::cluster::Fence& fence) -> ris::Result<void> {
        RIS_TRY_VOID(queues.trim(now, fence));
        return {};
      });
  ctx.agents_connected = [&gateway] { return gateway.connected_count(); };
  ctx.agents_known = [&agents] { return agents.count_active().value_or(0); };
  gateway.export_metrics(registry);
  registry.callback_gauge("ris_clients_connected", "Agents connected to this server",
                          [&ctx] { return static_cast<double>(ctx.agents_connected()); });
  std::optional<ris::risd::BackupSchedule> backups;
  if (config.backup_interval.count() > 0) {
    backups.emplace(**store,
                    ris::risd::BackupScheduleOptions{
                        config.backup_dir.empty() ? config.data_dir / "backups" : config.backup_dir,
                        config.backup_interval, config.backup_keep});
    if (auto r = backups->start(); !r)
      return die(r.error().message);
    registry.callback_gauge("ris_backup_last_success_timestamp_seconds",
                            "Unix time of the newest scheduled backup (0: none yet)",
                            [&backups] { return backups->last_success_unix(); });
    registry.callback_counter("ris_backup_failures_total", "Scheduled backups that failed",
                              [&backups] { return backups->failures(); });
  }
  ris::net::Router router;
  ris::api::register_routes(router, ctx);

  ris::net::Server server(config, {creds->cert_chain_pem, creds->key_pem, agent_ca_pem}, router,
                          registry);
  if (auto r = server.start(); !r)
    return die(r.error().message);

  const std::string url = fmt::format("https://{}:{}", url_host(config.listen_host), server.port());
  if (auto r = presence.start(config.advertise_urls.empty() ? std::vector<std::string>{url}
                                                            : config.advertise_urls);
      !r)
    return die("cannot register this server in the database: " + r.error().message);
  gateway.start_sweeper();
  scheduler.start();
  kv_expiry.start();
  queue_trim.start();
  deploying.start();
  ris::log::info("server_started", {{"url", url},
                                    {"threads", config.threads},
                                    {"data_dir", config.data_dir.string()},
                                    {"database", (*store)->backend()},
                                    {"bus", (*bus)->backend()},
                                    {"server_id", presence.server_id()},
                                    {"ca_sha256", creds->ca_sha256},
                                    {"open_files_soft", static_cast<uint64_t>(fd_soft)},
                                    {"open_files_hard", static_cast<uint64_t>(fd_hard)}});
  std::printf("risd %s listening on %s\nCA certificate: %s (sha256 pin: %s)\n",
              std::string(ris::api::kVersion).c_str(), url.c_str(),
              (config.tls_cert_file.empty() ? (config.data_dir / "tls" / "ca.crt").string()
                                            : config.tls_cert_file.string())
                  .c_str(),
              creds->ca_sha256.c_str());
  if (admin->has_value()) {
    const std::string& generated = **admin;
    (void)audit.append(
        {.actor = "system", .action = "account.create_first_admin", .target = "admin"});
    if (!generated.empty()) {
      ris::log::warn("first_admin_created", {{"username", "admin"},
                                             {"password", generated},
                                             {"note", "shown once; change it after signing in"}});
      std::printf("\nFirst start: sign in as 'admin' with password %s (shown once; change it).\n",
                  generated.c_str());
    } else {
      std::printf(
          "\nFirst start: administrator 'admin' created from RIS_ADMIN_EMAIL / "
          "RIS_ADMIN_PASSWORD.\n");
    }
  }
  if (!config.bootstrap_agent_file.empty())
    if (auto r = write_bootstrap_agent_file(config.bootstrap_agent_file, url, creds->ca_sha256,
                                            **store, accounts, spaces, agents);
        !r)
      ris::log::error("bootstrap_agent_failed", {{"error", r.error().message}});
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  ris::log::info("shutdown_started", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                      {"grace_ms", config.shutdown_timeout.count()}});
  server.shutdown(config.shutdown_timeout);
  if (backups)
    backups->stop();
  scheduler.stop();
  deploying.stop();
  kv_expiry.stop();
  queue_trim.stop();
  gateway.stop();
  blocking.stop();
  presence.stop();  // after the sessions' last jobs: deregisters, its agents' rows go with it
  gateway.membership_changed();
  if (auto r = (*store)->close(); !r)
    ris::log::error("store_close_failed", {{"error", r.error().message}});
  ris::log::info("shutdown_complete");
  ris::log::flush();
  return 0;
}
