// risd admin …: maintenance run against a stopped risd's database.
//
//   reset-fleet-history   deletes tasks, runs, output, health samples and the audit log (which
//                         starts again with an entry saying so), then compacts the database.
//                         risbench runs it before every scenario, so each starts from the same
//                         database whatever earlier runs left.
#include <fmt/format.h>
#include <cstdio>
#include <filesystem>
#include <string>

#include "ris/core/config.hpp"
#include "ris/fleet/history.hpp"
#include "ris/identity/audit_reset.hpp"
#include "ris/store/store.hpp"
#include "subcommands.hpp"

namespace ris::risd {
namespace {

constexpr const char* kUsage =
    R"(Usage: risd admin reset-fleet-history --yes [--data-dir DIR | --database-url URL]

Deletes the fleet's history — every task with its runs and output, every agent health sample —
and the audit log, which starts again with one entry recording the reset; then compacts the
database (SQLite). Agents, join tokens, services, spaces and accounts stay. For benchmark and
test installations: risbench runs it before each scenario. Stop risd first.

  --yes      required: nothing of what is deleted can be brought back (take a backup first)
)";

int reset_fleet_history(const ServerConfig& config) {
  if (const auto db = config.data_dir / "ris.db";
      (config.database_url.empty() || config.database_url == "sqlite:") &&
      !std::filesystem::exists(db)) {
    std::fprintf(stderr, "risd admin: no database at %s\n", db.string().c_str());
    return 1;
  }
  auto store = store::open_store(config.database_url, config.data_dir);
  if (!store) {
    std::fprintf(stderr, "risd admin: %s\n", store.error().message.c_str());
    return 1;
  }
  auto failed = [&store](const std::string& what, const Error& e) {
    std::fprintf(stderr, "risd admin: %s: %s\n", what.c_str(), e.message.c_str());
    (void)(*store)->close();
    return 1;
  };
  auto fleet = fleet::delete_fleet_history(**store);
  if (!fleet)
    return failed("deleting the fleet's history", fleet.error());
  identity::AuditEntry first{.actor = "system",
                             .action = "admin.fleet_history.reset",
                             .details = {{"command", "risd admin reset-fleet-history"},
                                         {"tasks_deleted", fleet->tasks},
                                         {"runs_deleted", fleet->runs},
                                         {"health_samples_deleted", fleet->health_samples}}};
  auto audit = identity::restart_audit_log(**store, std::move(first));
  if (!audit)
    return failed("starting the audit log afresh", audit.error());
  if (auto r = fleet::reclaim_space(**store); !r)
    return failed("compacting the database", r.error());
  if (auto r = (*store)->close(); !r)
    return failed("closing the database", r.error());
  std::printf(
      "Deleted %lld tasks (%lld runs, %lld output chunks), %lld health samples and %lld audit "
      "entries; the audit log starts again with an entry recording this.\n",
      static_cast<long long>(fleet->tasks), static_cast<long long>(fleet->runs),
      static_cast<long long>(fleet->output_chunks), static_cast<long long>(fleet->health_samples),
      static_cast<long long>(*audit));
  return 0;
}

}  // namespace

int run_admin(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "reset-fleet-history") {
    std::fprintf(stderr, "risd admin: unknown command '%s'\n\n%s", args[0].c_str(), kUsage);
    return 2;
  }
  bool yes = false;
  std::vector<std::string> settings;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args[i] == "--yes")
      yes = true;
    else
      settings.push_back(args[i]);
  }
  auto loaded = load_server_config(settings, environment_map());
  if (!loaded) {
    std::fprintf(stderr, "risd admin: %s\n", loaded.error().message.c_str());
    return 2;
  }
  if (!yes) {
    std::fprintf(stderr,
                 "risd admin: reset-fleet-history deletes every task, run, health sample and "
                 "audit entry of %s: pass --yes to go ahead\n",
                 loaded->config.database_url.empty() ? loaded->config.data_dir.string().c_str()
                                                     : "the database at --database-url");
    return 2;
  }
  return reset_fleet_history(loaded->config);
}

}  // namespace ris::risd
