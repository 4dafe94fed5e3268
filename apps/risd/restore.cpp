// risd restore BACKUP.db --data-dir DIR [--force]: a backup becomes DIR's database.
//
// The backup is checked where it lies, read-only (an SQLite file that passes integrity_check and
// has RIS's schema_migrations), copied beside the target, opened once through the store — which
// brings its schema up to this risd and refuses one written by a newer RIS — and only then
// renamed over DIR/ris.db, so a failed restore leaves DIR as it was. The database holds no keys:
// what else DIR needs from the old data directory is printed at the end.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ris/core/config.hpp"
#include "ris/security/secure_file.hpp"
#include "ris/store/backup.hpp"
#include "ris/store/store.hpp"
#include "subcommands.hpp"

namespace ris::risd {
namespace fs = std::filesystem;
namespace {

constexpr const char* kUsage =
    R"(Usage: risd restore BACKUP.db [--data-dir DIR] [--force] [--config FILE]

Makes BACKUP.db — a file from `risctl backup create`, POST /api/v1/admin/backups or the
scheduled backups (--backup-interval) — the database of the data directory DIR (--data-dir,
RIS_DATA_DIR, the config file, or ./data), for `risd --data-dir DIR` to start on. Stop every
risd using DIR first.

  1. checks BACKUP.db, read-only: an SQLite file, PRAGMA integrity_check, RIS's schema
  2. copies it to DIR/ris.db (mode 0600) and brings its schema up to this risd's
  3. lists what DIR still needs from the old data directory: the CA and keys

  --force    replace a DIR/ris.db that already holds data (and its -wal and -shm files)

PostgreSQL is restored with its own tools (pg_restore, or a base backup): docs/operations.md.
)";

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A byte copy made durable (fsync) with mode 0600 from its creation.
Result<void> copy_private(const fs::path& from, const fs::path& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return fail(Errc::unavailable,
                fmt::format("cannot read {}: {}", from.string(), std::strerror(errno)));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(in);
    return fail(Errc::unavailable,
                fmt::format("cannot create {}: {}", to.string(), std::strerror(errno)));
  }
  ::fchmod(out, 0600);  // an existing file keeps its mode through O_TRUNC
  std::string failure;
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      failure = fmt::format("cannot read {}: {}", from.string(), std::strerror(errno));
    if (n <= 0)
      break;
    for (ssize_t done = 0; done < n && failure.empty();) {
      const ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno != EINTR)
        failure = fmt::format("cannot write {}: {}", to.string(), std::strerror(errno));
      done += w > 0 ? w : 0;
    }
    if (!failure.empty())
      break;
  }
  if (failure.empty() && ::fsync(out) != 0)
    failure = fmt::format("cannot write {}: {}", to.string(), std::strerror(errno));
  ::close(in);
  ::close(out);
  if (!failure.empty())
    return fail(Errc::unavailable, failure);
  return {};
}

void remove_sqlite_files(const fs::path& db) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    fs::remove(db.string() + suffix, ec);
}

bool holds_data(const fs::path& db) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal"})
    if (const auto size = fs::file_size(db.string() + suffix, ec); !ec && size > 0)
      return true;
  return false;
}

// What the data directory needs besides the database, and whether `dir` has it yet.
void print_next_steps(const fs::path& dir) {
  struct Need {
    const char* path;
    const char* why;
  };
  const Need needs[] = {
      {"tls/ca.crt", "the CA agents trust (they pinned its hash when they joined)"},
      {"tls/ca.key",
       "signs agents' certificates; without the CA risd makes a new one and "
       "every agent must join again"},
      {"tls/task.key", "signs tasks; agents pinned its public half when they joined"},
      {"master.key", "when the old directory has one: the key secrets are encrypted under"},
      {"images/", "service image archives (or push them again)"},
  };
  std::printf(
      "\nThe database holds no keys. Copy these from the old data directory into %s, keeping "
      "their modes (0600 for keys), e.g.\n"
      "  cp -a OLD_DATA_DIR/tls %s/    (and OLD_DATA_DIR/master.key, OLD_DATA_DIR/images when "
      "present)\n\n",
      dir.string().c_str(), dir.string().c_str());
  for (const auto& n : needs) {
    std::error_code ec;
    const bool present = fs::exists(dir / n.path, ec);
    std::printf("  %-14s %-9s %s\n", n.path, present ? "present" : "missing", n.why);
  }
  std::printf(
      "  (tls/server.crt and tls/server.key are made anew from the CA when missing)\n\n"
      "Then start it:  risd --data-dir %s\n",
      dir.string().c_str());
}

}  // namespace

int run_restore(const std::vector<std::string>& args) {
  std::string backup;
  bool force = false;
  std::vector<std::string> settings;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args[i] == "--force") {
      force = true;
    } else if (!args[i].starts_with("-") && backup.empty()) {
      backup = args[i];
    } else {
      settings.push_back(args[i]);
      if (args[i].starts_with("--") && args[i].find('=') == std::string::npos &&
          i + 1 < args.size())
        settings.push_back(args[++i]);
    }
  }
  if (backup.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto loaded = load_server_config(settings, environment_map());
  if (!loaded) {
    std::fprintf(stderr, "risd restore: %s\n", loaded.error().message.c_str());
    return 2;
  }
  const ServerConfig& config = loaded->config;
  auto failed = [](const std::string& message) {
    std::fprintf(stderr, "risd restore: %s\n", message.c_str());
    return 1;
  };
  // The target file, as open_store would find it.
  fs::path target = config.data_dir / "ris.db";
  if (const auto& url = config.database_url; !url.empty() && url != "sqlite:") {
    if (!url.starts_with("sqlite:"))
      return failed(
          "the database is PostgreSQL (--database-url): restore it with pg_restore or from a base "
          "backup, see docs/operations.md");
    const fs::path file = url.substr(7);
    target = file.is_absolute() ? file : config.data_dir / file;
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto facts = store::inspect_sqlite_backup(backup);
  if (!facts)
    return failed(facts.error().message);
  const double check_s = seconds_since(t0);
  if (holds_data(target) && !force)
    return failed(
        fmt::format("{} already holds a database: stop risd, and pass --force to "
                    "replace it",
                    target.string()));
  if (auto r = security::ensure_private_dir(target.parent_path()); !r)
    return failed(r.error().message);

  const auto t1 = std::chrono::steady_clock::now();
  const fs::path partial = target.string() + ".restoring";
  remove_sqlite_files(partial);
  if (auto r = copy_private(backup, partial); !r) {
    remove_sqlite_files(partial);
    return failed(r.error().message);
  }
  const double copy_s = seconds_since(t1);

  // Open the copy once through the store: migrations to this risd's schema, a newer RIS refused.
  const auto t2 = std::chrono::steady_clock::now();
  int schema_version = 0;
  {
    auto store = store::open_store("sqlite:" + fs::absolute(partial).string(), config.data_dir);
    if (!store) {
      remove_sqlite_files(partial);
      return failed(fmt::format("{}: {}", backup, store.error().message));
    }
    schema_version = (*store)->schema_version();
    if (auto r = (*store)->close(); !r) {
      remove_sqlite_files(partial);
      return failed(r.error().message);
    }
  }
  const double open_s = seconds_since(t2);
  if (holds_data(partial.string() + "-wal")) {
    remove_sqlite_files(partial);
    return failed("the restored copy kept a write-ahead log after closing; nothing was replaced");
  }
  remove_sqlite_files(target);  // a stale -wal beside the new file would be applied to it
  std::error_code ec;
  fs::rename(partial, target, ec);
  if (ec) {
    remove_sqlite_files(partial);
    return failed(fmt::format("cannot move the copy to {}: {}", target.string(), ec.message()));
  }
  remove_sqlite_files(partial);  // the -shm the store left, if any

  const auto bytes = fs::file_size(target, ec);
  std::printf(
      "Restored %s into %s: schema version %d (the backup had %d), instance %s, %.1f MiB.\n"
      "Checked in %.2f s, copied in %.2f s, opened in %.2f s (%.2f s in all).\n",
      backup.c_str(), target.string().c_str(), schema_version, facts->schema_version,
      facts->instance_id.empty() ? "(none)" : facts->instance_id.c_str(),
      static_cast<double>(ec ? 0 : bytes) / (1 << 20), check_s, copy_s, open_s, seconds_since(t0));
  print_next_steps(config.data_dir);
  return 0;
}

}  // namespace ris::risd
