// `risd admin rotate-master-key`: a new master key, every sealed value moved to it, the old key
// forgotten. Run it with every risd on this database stopped: a running server keeps the old
// key in memory and cannot open values re-sealed under the new one until it restarts.
//
// Crash-safe at each step, because the key file always holds every key a stored value may be
// sealed under:
//   1. master.key := "new\nold…" (write_file_atomic: temp file, fsync, rename, fsync of the
//      directory — the file is whole before or after, never half). A crash before this step
//      changed nothing; after it, risd starts with both keys, seals with the new one.
//   2. each resealer rewrites its values under the new key, each value atomically (a
//      transaction, or write_file_atomic for files). A crash leaves a mix of old and new values,
//      all of which open with the keys in the file. Running the command again makes one more
//      key, keeps all the older ones, and re-seals everything under it.
//   3. master.key := "new", only after every resealer succeeded. Should one fail, the file
//      keeps all keys, the command says so and exits 1; running it again finishes the job.
#include <cstdio>

#include "ris/core/log.hpp"
#include "ris/store/store.hpp"
#include "secrets.hpp"

namespace risd {
namespace {
namespace security = ris::security;

constexpr const char* kUsage =
    "Usage: risd admin rotate-master-key [--data-dir DIR] [--database-url URL]\n"
    "                                    [--master-key-file FILE] [--config FILE]\n\n"
    "Makes a new master key, re-encrypts every secret stored by risd under it, and drops the\n"
    "old key. Stop every risd that uses this database first. Settings come from flags, RIS_*\n"
    "variables or --config, as for risd itself (see risd --help). Backups taken before the\n"
    "rotation need the old key: keep a copy of the old key file with them.\n";

std::string join(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids)
    out += (out.empty() ? "" : ", ") + id;
  return out;
}

int failed(const std::string& message) {
  std::fprintf(stderr, "risd admin rotate-master-key: %s\n", message.c_str());
  return 1;
}
}  // namespace

int rotate_master_key_main(const std::vector<std::string>& args) {
  auto loaded = ris::load_server_config(args, ris::environment_map());
  if (!loaded) {
    std::fprintf(stderr, "risd admin rotate-master-key: %s\n\n%s", loaded.error().message.c_str(),
                 kUsage);
    return 2;
  }
  if (loaded->action != ris::ConfigAction::run) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const ris::ServerConfig& config = loaded->config;
  ris::log::Level level = ris::log::Level::warn;
  ris::log::parse_level(config.log_level == "info" ? "warn" : config.log_level, level);
  ris::log::init(level);

  const auto path = master_key_path(config);
  auto read = security::read_master_key_file(path);
  if (!read)
    return failed(read.error().message);
  if (!*read)
    return failed("no master key file at " + path.string() +
                  " (risd creates it on first start; nothing is encrypted yet)");
  std::vector<std::string> keys = std::move(**read);
  std::vector<std::string> old_ids;
  for (const auto& k : keys)
    old_ids.push_back(security::master_key_id(k));

  // Opened before the key file changes, so an unreachable database changes nothing.
  auto store = ris::store::open_store(config.database_url, config.data_dir);
  if (!store)
    return failed("cannot open the database: " + store.error().message);

  keys.insert(keys.begin(), security::generate_master_key());
  const std::string new_id = security::master_key_id(keys.front());
  if (auto w = security::write_master_key_file(path, keys); !w)
    return failed(w.error().message);
  std::printf("1. %s: new key %s first, then the old key%s %s (all of them open values)\n",
              path.string().c_str(), new_id.c_str(), old_ids.size() > 1 ? "s" : "",
              join(old_ids).c_str());
  if (old_ids.size() > 1)
    std::printf("   (the file held %zu keys: an earlier rotation had not finished)\n",
                old_ids.size());

  auto box = security::SecretBox::from_keys(std::vector<std::string>(keys));
  if (!box)
    return failed(box.error().message);
  int total = 0;
  bool all_ok = true;
  const auto registered = resealers(config);
  for (const auto& r : registered.all()) {
    auto n = r.reseal(**store, *box);
    if (!n) {
      all_ok = false;
      std::printf("2. %s: FAILED: %s\n", r.name.c_str(), n.error().message.c_str());
      continue;
    }
    total += *n;
    std::printf("2. %s: %d value%s re-sealed\n", r.name.c_str(), *n, *n == 1 ? "" : "s");
  }
  if (auto c = (*store)->close(); !c) {
    all_ok = false;
    std::printf("   closing the database: FAILED: %s\n", c.error().message.c_str());
  }
  if (!all_ok)
    return failed(path.string() +
                  " keeps every key, so all values still open; fix the error above and run the"
                  " command again to finish the rotation");

  if (auto w = security::write_master_key_file(path, {keys.front()}); !w)
    return failed(w.error().message + " (the file still holds every key; run again)");
  std::printf("3. %s: only the new key %s; the old key%s %s dropped\n", path.string().c_str(),
              new_id.c_str(), old_ids.size() > 1 ? "s" : "", join(old_ids).c_str());
  std::printf(
      "Master key rotated: %d value%s re-sealed under %s. Back up the new key file now; backups\n"
      "taken before this rotation need the old key.\n",
      total, total == 1 ? "" : "s", new_id.c_str());
  return 0;
}

}  // namespace risd
