#include "ssh_runner.hpp"

#include <fmt/format.h>
#include <libssh/libssh.h>

#include <algorithm>
#include <cctype>

#include "ris/security/digest.hpp"

namespace ris::deploy {
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kOutputKept = 64 * 1024;
constexpr std::size_t kIdlePerHost = 4;                 // idle sessions kept per host
constexpr std::chrono::seconds kConnectTimeoutMax{30};  // a long step still connects quickly
constexpr int kReadSliceMs = 200;                       // how soon a stopping runner notices
constexpr int kWrapperFailed = 125;                     // with "ris-ssh…: …" on stderr

// The host-side half of exactly-once (see the header). $1: the key's name on the host, $2: how
// long to wait for an earlier run's exit code. The script arrives on stdin and is always read
// whole, so the client's write never stalls. The wrapper's own complaints go to the channel's
// stderr (the script's output is in KEY.out), prefixed "ris-ssh: " ("ris-ssh-busy: " when an
// earlier run holds the key), with exit code 125. One line,
// so that any login shell passes it on to sh unchanged.
constexpr std::string_view kWrapper =
    "u=$(umask); umask 077; d=\"${RIS_DEPLOY_DIR:-$HOME/.ris/deploy}\"; k=\"$1\"; w=\"$2\"; "
    "mkdir -p \"$d\" || { echo \"ris-ssh: cannot create $d\" >&2; exit 125; }; "
    "t=\"$d/$k.sh.$$\"; cat > \"$t\" || { echo \"ris-ssh: cannot write $t\" >&2; exit 125; }; "
    "if [ -f \"$d/$k.rc\" ]; then rm -f \"$t\"; "
    "elif mkdir \"$d/$k.lock\" 2>/dev/null; then mv -f \"$t\" \"$d/$k.sh\"; "
    "( umask \"$u\"; cd; exec sh \"$d/$k.sh\" ) > \"$d/$k.out\" 2>&1 < /dev/null; "
    "echo $? > \"$d/$k.rc.tmp\" && mv -f \"$d/$k.rc.tmp\" \"$d/$k.rc\"; rm -f \"$d/$k.sh\"; "
    "else rm -f \"$t\"; end=$(( $(date +%s) + w )); "
    "while [ ! -f \"$d/$k.rc\" ] && [ \"$(date +%s)\" -lt \"$end\" ]; do "
    "sleep 0.2 2>/dev/null || sleep 1; done; "
    "[ -f \"$d/$k.rc\" ] || { echo \"ris-ssh-busy: $k was started on this host before and did not "
    "finish within ${w}s (to run it again, remove $d/$k.lock)\" >&2; exit 125; }; fi; "
    "rc=$(cat \"$d/$k.rc\"); tail -c 65536 \"$d/$k.out\" 2>/dev/null; exit \"$rc\"";

// 'text' for sh, plainly (step_scripts' sh_quote gives secret references a meaning).
std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string_view("'\\''") : std::string_view(&c, 1);
  return out + "'";
}

std::string where(const SshHost& h) {
  if (h.address.find(':') != std::string::npos)
    return fmt::format("[{}]:{}", h.address, h.port);
  return fmt::format("{}:{}", h.address, h.port);
}

std::string session_id(const SshHost& h) {
  return h.user + "@" + where(h);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// "SHA256:<base64>" without padding or surrounding blanks.
std::string normal_fingerprint(std::string_view fp) {
  fp = trim(fp);
  while (!fp.empty() && fp.back() == '=')
    fp.remove_suffix(1);
  return std::string(fp);
}

void keep_tail(std::string& out) {
  if (out.size() > kOutputKept)
    out.erase(0, out.size() - kOutputKept);
}

// Frees a libssh object when it goes out of scope.
template <typename T, void (*Free)(T)>
struct Owned {
  T p = nullptr;
  Owned() = default;
  explicit Owned(T v) : p(v) {}
  ~Owned() {
    if (p != nullptr)
      Free(p);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};
void free_hash(unsigned char* h) {
  ssh_clean_pubkey_hash(&h);
}
void free_channel(ssh_channel c) {
  ssh_channel_close(c);
  ssh_channel_free(c);
}
using OwnedKey = Owned<ssh_key, ssh_key_free>;
using OwnedChannel = Owned<ssh_channel, free_channel>;

}  // namespace

struct SshRunner::Session {
  ssh_session s = ssh_new();
  ~Session() {
    if (s == nullptr)
      return;
    if (ssh_is_connected(s) != 0)
      ssh_disconnect(s);
    ssh_free(s);
  }
};

struct SshRunner::Run {
  std::string key;
  SshHost host;
  std::string script;
  std::chrono::seconds timeout{};
  bool cancelled = false;
  std::optional<Result<SshOutcome>> result;
};

namespace {

Result<void> verify_host_key(ssh_session s, const SshHost& h) {
  const std::string pinned = normal_fingerprint(h.host_key);
  if (!pinned.starts_with("SHA256:"))
    return fail(Errc::invalid_argument,
                fmt::format("host key of {} must be pinned as SHA256:<base64>, as ssh-keygen -lf "
                            "prints it (the file has \"{}\")",
                            where(h), pinned));
  OwnedKey key;
  if (ssh_get_server_publickey(s, &key.p) != SSH_OK)
    return fail(Errc::unavailable,
                fmt::format("{} sent no host key: {}", where(h), ssh_get_error(s)));
  unsigned char* raw = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key.p, SSH_PUBLICKEY_HASH_SHA256, &raw, &len) != 0)
    return fail(Errc::internal, fmt::format("cannot hash the host key of {}", where(h)));
  Owned<unsigned char*, free_hash> hash(raw);
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash.p, len);
  if (text == nullptr)
    return fail(Errc::internal, fmt::format("cannot hash the host key of {}", where(h)));
  const std::string actual = normal_fingerprint(text);
  ssh_string_free_char(text);
  if (actual != pinned)
    return fail(Errc::forbidden,
                fmt::format("host key of {} is {}, the file pins {}", where(h), actual, pinned));
  return {};
}

// A new session to `h`: connected, host key checked, signed in.
Result<void> open_session(ssh_session s, const SshHost& h, std::chrono::seconds timeout) {
  if (s == nullptr)
    return fail(Errc::internal, "libssh could not make a session");
  if (h.address.empty() || h.user.empty() || h.port <= 0 || h.port > 65535)
    return fail(Errc::invalid_argument,
                fmt::format("SSH host {} needs an address, a port and a user", session_id(h)));
  auto port = static_cast<unsigned int>(h.port);
  long connect_timeout = std::clamp(timeout, std::chrono::seconds{1}, kConnectTimeoutMax).count();
  int verbosity = SSH_LOG_NOLOG;
  bool process_config = false;  // never ~/.ssh/config nor /etc/ssh/ssh_config
  if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_HOST, h.address.c_str()) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_PORT, &port) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_USER, h.user.c_str()) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &connect_timeout) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != SSH_OK)
    return fail(Errc::invalid_argument,
                fmt::format("SSH options for {}: {}", session_id(h), ssh_get_error(s)));
  if (ssh_connect(s) != SSH_OK)
    return fail(Errc::unavailable,
                fmt::format("cannot connect to {} over SSH: {}", where(h), ssh_get_error(s)));
  RIS_TRY_VOID(verify_host_key(s, h));
  OwnedKey key;
  if (ssh_pki_import_privkey_base64(h.private_key.c_str(), nullptr, nullptr, nullptr, &key.p) !=
      SSH_OK)
    return fail(Errc::invalid_argument,
                fmt::format("the private key for {} cannot be read (not a PEM or OpenSSH private "
                            "key, or protected by a passphrase)",
                            session_id(h)));
  const int auth = ssh_userauth_publickey(s, nullptr, key.p);
  if (auth == SSH_AUTH_ERROR)
    return fail(Errc::unavailable, fmt::format("signing in to {} as {} failed: {}", where(h),
                                               h.user, ssh_get_error(s)));
  if (auth != SSH_AUTH_SUCCESS)
    return fail(
        Errc::unavailable,
        fmt::format("{} refused the key of user {} (public-key sign-in denied)", where(h), h.user));
  return {};
}

// A channel running `command`, or nullptr (the session is then broken: drop it).
ssh_channel exec(ssh_session s, const std::string& command) {
  ssh_channel c = ssh_channel_new(s);
  if (c == nullptr)
    return nullptr;
  if (ssh_channel_open_session(c) != SSH_OK) {
    ssh_channel_free(c);
    return nullptr;
  }
  if (ssh_channel_request_exec(c, command.c_str()) != SSH_OK) {
    free_channel(c);
    return nullptr;
  }
  return c;
}

// Seconds the wrapper waits for an earlier run's exit code: a little less than the client's own
// timeout, so that the clearer message of the two arrives first.
long wrapper_wait(std::chrono::seconds timeout) {
  const long t = timeout.count();
  return std::max(0L, t - std::max(1L, t / 10));
}

}  // namespace

SshRunner::SshRunner(int threads) {
  ssh_init();  // also done by libssh's constructor; harmless again
  for (int i = 0; i < std::max(1, threads); ++i)
    threads_.emplace_back([this] { work(); });
}

SshRunner::~SshRunner() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_)
    t.join();
  std::lock_guard l(mu_);
  idle_.clear();
}

void SshRunner::start(const std::string& key, const SshHost& host, const std::string& script,
                      std::chrono::seconds timeout) {
  {
    std::lock_guard l(mu_);
    if (stopping_ || runs_.contains(key))
      return;
    auto run = std::make_shared<Run>();
    run->key = key;
    run->host = host;
    run->script = script;
    run->timeout = timeout;
    runs_.emplace(key, run);
    queue_.push_back(std::move(run));
  }
  cv_.notify_one();
}

std::optional<Result<SshOutcome>> SshRunner::poll(const std::string& key) {
  std::lock_guard l(mu_);
  auto it = runs_.find(key);
  if (it == runs_.end())
    return Result<SshOutcome>(fail(Errc::not_found, fmt::format("no SSH run {}", key)));
  return it->second->result;
}

void SshRunner::forget(const std::string& key) {
  std::lock_guard l(mu_);
  auto it = runs_.find(key);
  if (it == runs_.end())
    return;
  it->second->cancelled = true;
  std::erase(queue_, it->second);
  runs_.erase(it);
}

std::uint64_t SshRunner::connections_made() const {
  return connections_made_.load();
}

std::string SshRunner::host_name_of(const std::string& key) {
  constexpr std::size_t kMax = 64;
  std::string name;
  for (char c : key)
    name +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  if (!key.empty() && name == key && key.size() <= kMax)
    return name;
  name.resize(std::min(name.size(), kMax - 17));
  return name + "-" + security::sha256_hex(key).substr(0, 16);
}

Result<void> SshRunner::check(const SshHost& host, std::chrono::seconds timeout) {
  Session s;
  return open_session(s.s, host, timeout);
}

void SshRunner::work() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_)
      return;
    auto run = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    auto result = execute(*run);
    l.lock();
    if (!run->cancelled)
      run->result = std::move(result);
  }
}

std::unique_ptr<SshRunner::Session> SshRunner::take_session(const std::string& id) {
  std::lock_guard l(mu_);
  auto it = idle_.find(id);
  if (it == idle_.end() || it->second.empty())
    return nullptr;
  auto s = std::move(it->second.back());
  it->second.pop_back();
  return s;
}

void SshRunner::give_back(const std::string& id, std::unique_ptr<Session> s) {
  std::lock_guard l(mu_);
  auto& idle = idle_[id];
  if (!stopping_ && idle.size() < kIdlePerHost)
    idle.push_back(std::move(s));
}

Result<SshOutcome> SshRunner::execute(const Run& run) {
  const SshHost& h = run.host;
  const std::string id = session_id(h);
  const std::string command = fmt::format("sh -c {} ris-ssh {} {}", quote(kWrapper),
                                          quote(host_name_of(run.key)), wrapper_wait(run.timeout));

  // A session from the cache may have been closed by the host meanwhile: then one new one.
  auto session = take_session(id);
  ssh_channel raw = session != nullptr ? exec(session->s, command) : nullptr;
  if (raw == nullptr) {
    session = std::make_unique<Session>();
    RIS_TRY_VOID(open_session(session->s, h, run.timeout));
    ++connections_made_;
    raw = exec(session->s, command);
    if (raw == nullptr)
      return fail(Errc::unavailable, fmt::format("{} did not start the command: {}", where(h),
                                                 ssh_get_error(session->s)));
  }
  OwnedChannel channel(raw);
  const auto lost = [&] {
    return fail(Errc::unavailable,
                fmt::format("connection to {} lost: {}", where(h), ssh_get_error(session->s)));
  };

  const auto deadline = Clock::now() + run.timeout;
  for (std::size_t at = 0; at < run.script.size();) {
    const auto n = static_cast<uint32_t>(std::min<std::size_t>(run.script.size() - at, 32768));
    const int w = ssh_channel_write(channel.p, run.script.data() + at, n);
    if (w < 0)
      return lost();
    at += static_cast<std::size_t>(w);
  }
  if (ssh_channel_send_eof(channel.p) != SSH_OK)
    return lost();

  std::string out, err;
  char buf[16384];
  while (ssh_channel_is_eof(channel.p) == 0) {
    if (stopping_)
      return fail(Errc::unavailable, fmt::format("the run on {} was stopped", where(h)));
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0)  // the channel closes with `channel`; the session is dropped, not reused
      return fail(Errc::unavailable,
                  fmt::format("the run on {} timed out after {}s", where(h), run.timeout.count()));
    // Polled, then read without blocking: ssh_channel_read_timeout of libssh 0.10 waits for a
    // whole buffer's worth (or EOF), not for the first bytes.
    const int ready = ssh_channel_poll_timeout(
        channel.p, static_cast<int>(std::min<long>(left, kReadSliceMs)), 0);
    const int n = ready > 0 ? ssh_channel_read_nonblocking(channel.p, buf, sizeof buf, 0)
                            : (ready == SSH_ERROR ? SSH_ERROR : 0);
    if (n == SSH_ERROR)
      return lost();
    out.append(buf, static_cast<std::size_t>(std::max(n, 0)));
    int m = 0;
    while ((m = ssh_channel_read_nonblocking(channel.p, buf, sizeof buf, 1)) > 0)
      err.append(buf, static_cast<std::size_t>(m));
    if (m == SSH_ERROR)
      return lost();
    if (out.size() > 2 * kOutputKept)
      keep_tail(out);
    if (err.size() > 2 * kOutputKept)
      keep_tail(err);
  }
  const int code = ssh_channel_get_exit_status(channel.p);
  if (code < 0)
    return fail(Errc::unavailable,
                fmt::format("the command on {} ended without an exit status", where(h)));
  // The channel is closed before the session goes back: the next user may be another thread.
  free_channel(channel.p);
  channel.p = nullptr;
  give_back(id, std::move(session));
  if (code == kWrapperFailed) {
    for (const auto& [marker, errc] :
         {std::pair{"ris-ssh-busy: ", Errc::busy}, std::pair{"ris-ssh: ", Errc::unavailable}}) {
      if (const auto at = err.find(marker); at != std::string::npos)
        return fail(
            errc,
            fmt::format("{}: {}", where(h),
                        trim(std::string_view(err).substr(at + std::string_view(marker).size()))));
    }
  }
  SshOutcome outcome;
  outcome.exit_code = code;
  outcome.output = std::move(out) + err;
  keep_tail(outcome.output);
  return outcome;
}

}  // namespace ris::deploy
