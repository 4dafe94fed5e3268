#include "ris/security/secure_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "ris/core/ids.hpp"

namespace ris::security {
namespace {
constexpr size_t kMaxFileBytes = 1 << 20;

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now so the caller can see a failed close (delayed write errors on some filesystems).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

Result<void> fsync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return fail(Errc::internal, "cannot sync directory " + quoted(dir) + ": " + errno_text(errno));
  }
  return {};
}
}  // namespace

Result<void> ensure_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) {
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec) {
      return fail(Errc::internal,
                  "cannot create directory " + quoted(dir.parent_path()) + ": " + ec.message());
    }
  }
  if (::mkdir(dir.c_str(), 0700) == 0) {
    // mkdir's mode is filtered by the umask; set it exactly.
    if (::chmod(dir.c_str(), 0700) != 0) {
      return fail(Errc::internal, "cannot chmod " + quoted(dir) + ": " + errno_text(errno));
    }
    return {};
  }
  if (errno != EEXIST) {
    return fail(Errc::internal,
                "cannot create directory " + quoted(dir) + ": " + errno_text(errno));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(Errc::invalid_argument, quoted(dir) + " exists but is not a directory");
  }
  return {};
}

Result<std::optional<std::string>> read_small_file(const std::filesystem::path& path,
                                                   mode_t forbidden_bits) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT)
      return std::optional<std::string>{};
    return fail(Errc::forbidden, "cannot open " + quoted(path) + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(Errc::internal, "cannot stat " + quoted(path) + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::invalid_argument, quoted(path) + " is not a regular file");
  }
  if ((st.st_mode & forbidden_bits) != 0) {
    return fail(Errc::forbidden, "permissions " + octal_mode(st.st_mode) + " for " + quoted(path) +
                                     " are too open: a private key must not be accessible by " +
                                     (forbidden_bits == kNotOthers ? "others" : "group or others") +
                                     " (chmod " + (forbidden_bits == kNotOthers ? "640" : "600") +
                                     " " + quoted(path) + ")");
  }
  if (static_cast<size_t>(st.st_size) > kMaxFileBytes) {
    return fail(Errc::too_large, quoted(path) + " is larger than 1 MiB; not a PEM file");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail(Errc::internal, "cannot read " + quoted(path) + ": " + errno_text(errno));
    if (n == 0)
      break;  // the file shrank while we read it
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return std::optional<std::string>(std::move(out));
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents,
                               mode_t mode) {
  // A unique temp name: O_EXCL never trips over a leftover from a crash, and the file is
  // created with `mode`, so a key is never readable by others, not even for an instant.
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + new_id();
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0) {
    return fail(Errc::internal, "cannot create " + quoted(tmp) + ": " + errno_text(errno));
  }
  auto failed = [&](std::string what) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(Errc::internal, "cannot " + what + ": " + errno_text(err));
  };
  // The umask may have removed bits from `mode`; set it exactly (certificates stay 0644).
  if (::fchmod(fd.get(), mode) != 0)
    return failed("chmod " + quoted(tmp));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return failed("write " + quoted(tmp));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0)
    return failed("sync " + quoted(tmp));
  if (fd.close() != 0)
    return failed("close " + quoted(tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return failed("rename " + quoted(tmp) + " to " + quoted(path));
  return fsync_dir(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
}

Result<DirLock> DirLock::acquire(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail(Errc::internal, "cannot open " + quoted(path) + ": " + errno_text(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR)
      continue;
    int err = errno;
    ::close(fd);
    return fail(Errc::internal, "cannot lock " + quoted(path) + ": " + errno_text(err));
  }
  return DirLock(fd);
}

DirLock::~DirLock() {
  if (fd_ >= 0)
    ::close(fd_);
}

}  // namespace ris::security
