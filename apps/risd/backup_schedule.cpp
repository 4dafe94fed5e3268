#include "backup_schedule.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <algorithm>
#include <regex>

#include "ris/core/log.hpp"
#include "ris/security/secure_file.hpp"

namespace ris::risd {
namespace {
bool is_backup_name(const std::string& name) {
  static const std::regex pattern(R"(ris-backup-\d{8}T\d{6}Z\.db)");
  return std::regex_match(name, pattern);
}
}  // namespace

std::string backup_file_name(std::chrono::system_clock::time_point t) {
  return fmt::format("ris-backup-{:%Y%m%dT%H%M%SZ}.db",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(t)));
}

std::vector<std::filesystem::path> list_backups(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && is_backup_name(e.path().filename().string()))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());  // the name holds the time
  return out;
}

Result<size_t> prune_backups(const std::filesystem::path& dir, size_t keep) {
  auto files = list_backups(dir);
  size_t removed = 0;
  for (size_t i = 0; i + keep < files.size(); ++i) {
    std::error_code ec;
    if (!std::filesystem::remove(files[i], ec) && ec)
      return fail(Errc::unavailable,
                  fmt::format("cannot delete old backup {}: {}", files[i].string(), ec.message()));
    ++removed;
  }
  return removed;
}

BackupSchedule::BackupSchedule(store::Store& store, BackupScheduleOptions options)
    : store_(store), options_(std::move(options)) {}

BackupSchedule::~BackupSchedule() {
  stop();
}

Result<void> BackupSchedule::start() {
  if (store_.engine() != store::Engine::sqlite)
    return fail(Errc::invalid_argument,
                "--backup-interval copies the SQLite database; on PostgreSQL use pg_basebackup "
                "with WAL archiving, or pg_dump (docs/operations.md)");
  RIS_TRY_VOID(security::ensure_private_dir(options_.dir));
  log::info("backup_schedule_started",
            {{"dir", options_.dir.string()},
             {"interval_s", static_cast<int64_t>(options_.interval.count() / 1000)},
             {"keep", static_cast<uint64_t>(options_.keep)}});
  thread_ = std::thread([this] { run(); });
  return {};
}

void BackupSchedule::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

Result<std::filesystem::path> BackupSchedule::backup_now() {
  const auto started = std::chrono::steady_clock::now();
  const auto now = std::chrono::system_clock::now();
  const auto file = options_.dir / backup_file_name(now);
  RIS_TRY_VOID(store_.backup_to(file));
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(file, ec);
  RIS_TRY(size_t removed, prune_backups(options_.dir, options_.keep));
  last_success_unix_ = std::chrono::duration<double>(now.time_since_epoch()).count();
  log::info(
      "scheduled_backup_written",
      {{"file", file.string()},
       {"bytes", static_cast<uint64_t>(ec ? 0 : bytes)},
       {"duration_ms", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count())},
       {"old_backups_deleted", static_cast<uint64_t>(removed)}});
  return file;
}

void BackupSchedule::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (wake_.wait_for(lock, options_.interval, [this] { return stopping_; }))
      return;
    lock.unlock();
    if (auto r = backup_now(); !r) {
      ++failures_;
      log::error("scheduled_backup_failed",
                 {{"dir", options_.dir.string()}, {"error", r.error().message}});
    }
    lock.lock();
  }
}

}  // namespace ris::risd
