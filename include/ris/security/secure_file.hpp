// File handling for keys and certificates: a private directory, reads that refuse key files
// other users could read (as ssh does), writes that never expose a partial or world-readable
// file (temp file created with its final mode, fsync, rename), and a lock so two processes
// starting on the same directory do not both create a CA.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ris/core/result.hpp"

namespace ris::security {

// Permission bits a file must not have: none for certificates, 077 for our own keys, 007 for
// operator keys (group-readable keys are the Debian ssl-cert convention).
inline constexpr mode_t kAnyMode = 0;
inline constexpr mode_t kOwnerOnly = 077;
inline constexpr mode_t kNotOthers = 007;

// Creates `dir` (and its parents) when missing; a directory this call creates gets mode 0700.
Result<void> ensure_private_dir(const std::filesystem::path& dir);

// The contents of `path`, or nullopt when it does not exist. Refuses a file with any of
// `forbidden_bits` set, anything but a regular file, and files over 1 MiB.
Result<std::optional<std::string>> read_small_file(const std::filesystem::path& path,
                                                   mode_t forbidden_bits);

// Replaces `path` atomically with `contents`; the file has exactly `mode` from its creation.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents,
                               mode_t mode);

// An exclusive advisory lock (flock) on `<dir>/.lock`, held until destruction.
class DirLock {
 public:
  static Result<DirLock> acquire(const std::filesystem::path& dir);
  DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ris::security
