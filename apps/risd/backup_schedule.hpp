// Scheduled backups (--backup-interval, --backup-keep, --backup-dir): every interval, a
// consistent online copy of the SQLite store (Store::backup_to) written as
// DIR/ris-backup-<UTC time>.db, then every such file but the newest `keep` is deleted. One
// thread that sleeps between copies; stop() wakes it and waits for a copy in progress. The
// recovery point is at most one interval (plus the copy's own time) old: docs/operations.md.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::risd {

// "ris-backup-20261123T103000Z.db": sorts by time, no characters a file system refuses.
std::string backup_file_name(std::chrono::system_clock::time_point t);
// The files in `dir` named like backup_file_name (not partial copies), oldest first.
std::vector<std::filesystem::path> list_backups(const std::filesystem::path& dir);
// Deletes all but the newest `keep` of list_backups(dir); returns how many it deleted.
Result<size_t> prune_backups(const std::filesystem::path& dir, size_t keep);

struct BackupScheduleOptions {
  std::filesystem::path dir;
  std::chrono::milliseconds interval{0};
  size_t keep = 7;
};

class BackupSchedule {
 public:
  BackupSchedule(store::Store& store, BackupScheduleOptions options);
  ~BackupSchedule();
  BackupSchedule(const BackupSchedule&) = delete;
  BackupSchedule& operator=(const BackupSchedule&) = delete;

  // Creates the directory (0700) and starts the thread; the first copy is one interval away.
  // Refuses a store that cannot copy itself (PostgreSQL has its own tools).
  Result<void> start();
  void stop();  // idempotent
  // One copy and the pruning after it, on the calling thread.
  Result<std::filesystem::path> backup_now();

  // For /metrics: Unix time of the newest good copy (0 before the first), failed copies.
  double last_success_unix() const { return last_success_unix_.load(); }
  double failures() const { return static_cast<double>(failures_.load()); }

 private:
  void run();

  store::Store& store_;
  BackupScheduleOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<double> last_success_unix_{0};
  std::atomic<uint64_t> failures_{0};
};

}  // namespace ris::risd
