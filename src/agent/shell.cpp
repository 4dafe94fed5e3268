#include "ris/agent/shell.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace ris::agent {
namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kKillGrace = std::chrono::seconds(2);
constexpr int kPollMs = 50;  // how quickly a cancel or a deadline is noticed

[[noreturn]] void child_fail(const char* what) {
  const std::string msg = std::string("ris-agent: ") + what + ": " + std::strerror(errno) + "\n";
  (void)!write(2, msg.data(), msg.size());
  _exit(127);
}

// Deadline and cancel handling shared by the read loop and the reap loop.
struct Stopper {
  pid_t pid;
  const ShellSpec& spec;
  const CancelFlag& cancel;
  Clock::time_point started;
  ShellResult& result;
  std::optional<Clock::time_point> kill_at;

  void tick() {
    const auto now = Clock::now();
    const bool timed_out = spec.timeout.count() > 0 && now - started >= spec.timeout;
    if (!kill_at && (timed_out || cancel.cancelled)) {
      result.cancelled = cancel.cancelled;
      result.timed_out = !result.cancelled;
      kill(-pid, SIGTERM);
      kill_at = now + kKillGrace;
    }
    if (kill_at && now >= *kill_at)
      kill(-pid, SIGKILL);
  }
};
}  // namespace

Result<ShellResult> run_shell(const ShellSpec& spec, const OutputSink& sink,
                              const CancelFlag& cancel) {
  if (spec.argv.empty() == spec.script.empty())
    return fail(Errc::invalid_argument, "give exactly one of argv or script");
  struct passwd* pw = nullptr;
  if (!spec.user.empty()) {
    pw = getpwnam(spec.user.c_str());
    if (!pw)
      return fail(Errc::invalid_argument, "no such user \"" + spec.user + "\"");
    if (geteuid() != 0 && pw->pw_uid != geteuid())
      return fail(Errc::forbidden,
                  "running as \"" + spec.user + "\" needs the agent to run as root");
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<std::string> args =
      spec.argv.empty() ? std::vector<std::string>{"/bin/sh", "-c", spec.script} : spec.argv;
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const char* home = pw ? pw->pw_dir : (getenv("HOME") ? getenv("HOME") : "/");
  std::vector<std::string> env_strings = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
      std::string("HOME=") + home};
  // Where the agent's identity is, for `ris-agent pub|sub|kv` in the task (readable only by
  // the agent's own user: a task running as another user cannot use it).
  if (const char* state = getenv("RIS_AGENT_STATE_DIR"))
    env_strings.push_back(std::string("RIS_AGENT_STATE_DIR=") + state);
  for (const auto& [k, v] : spec.env)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2], err[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return fail(Errc::unavailable, std::string("pipe: ") + std::strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return fail(Errc::unavailable, std::string("pipe: ") + std::strerror(errno));
  }
  if (pipe2(in, O_CLOEXEC) != 0) {
    for (int fd : {out[0], out[1], err[0], err[1]})
      close(fd);
    return fail(Errc::unavailable, std::string("pipe: ") + std::strerror(errno));
  }
  const auto started = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1], in[0], in[1]})
      close(fd);
    return fail(Errc::unavailable, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close_range(3, ~0U, 0);
    signal(SIGPIPE, SIG_DFL);
    if (!spec.working_directory.empty() && chdir(spec.working_directory.c_str()) != 0)
      child_fail("cannot enter the working directory");
    if (pw && pw->pw_uid != geteuid() &&
        (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
         setuid(pw->pw_uid) != 0))
      child_fail("cannot switch user");
    execvpe(argv[0], argv.data(), envp.data());
    child_fail("cannot execute");
  }
  setpgid(pid, pid);  // also from the parent, so a kill right away reaches the group
  close(out[1]);
  close(err[1]);
  close(in[0]);
  int stdin_fd = in[1];
  fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
  size_t stdin_written = 0;
  if (spec.stdin_data.empty()) {
    close(stdin_fd);
    stdin_fd = -1;
  }

  ShellResult result;
  Stopper stop{pid, spec, cancel, started, result, std::nullopt};
  struct Reader {
    int fd;
    const char* stream;
  };
  std::vector<Reader> readers = {{out[0], "stdout"}, {err[0], "stderr"}};
  char buf[64 * 1024];
  while (!readers.empty()) {
    stop.tick();
    std::vector<pollfd> fds;
    for (const auto& r : readers)
      fds.push_back({r.fd, POLLIN, 0});
    if (stdin_fd >= 0)
      fds.push_back({stdin_fd, POLLOUT, 0});
    if (poll(fds.data(), fds.size(), kPollMs) < 0 && errno != EINTR)
      break;
    if (stdin_fd >= 0 && (fds.back().revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t w = write(stdin_fd, spec.stdin_data.data() + stdin_written,
                              spec.stdin_data.size() - stdin_written);
      if (w > 0)
        stdin_written += static_cast<size_t>(w);
      else if (errno != EAGAIN && errno != EINTR)
        stdin_written =
            spec.stdin_data.size();  // the child closed its stdin (EPIPE): stop feeding it
      if (stdin_written >= spec.stdin_data.size()) {
        close(stdin_fd);
        stdin_fd = -1;
      }
    }
    for (size_t i = readers.size(); i-- > 0;) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      const ssize_t got = read(readers[i].fd, buf, sizeof buf);
      if (got > 0) {
        sink(readers[i].stream, std::string_view(buf, static_cast<size_t>(got)));
      } else if (got == 0 || errno != EINTR) {
        close(readers[i].fd);
        readers.erase(readers.begin() + static_cast<long>(i));
      }
    }
  }
  if (stdin_fd >= 0)
    close(stdin_fd);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    stop.tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  kill(-pid, SIGKILL);  // whatever the leader left behind in its group goes with it
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  return result;
}

}  // namespace ris::agent
