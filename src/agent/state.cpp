#include "ris/agent/state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ris/security/secure_file.hpp"

namespace ris::agent {
namespace fs = std::filesystem;
namespace {
std::string seq_name(int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld.json", static_cast<long long>(seq));
  return buf;
}
Result<std::string> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f)
    return fail(Errc::not_found, "cannot read " + p.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

Result<void> save_identity(const fs::path& dir, const Identity& id) {
  RIS_TRY_VOID(security::ensure_private_dir(dir));
  boost::json::array servers;
  for (const auto& s : id.servers)
    servers.emplace_back(s);
  boost::json::object o{{"agent_id", id.agent_id},
                        {"space_id", id.space_id},
                        {"task_public_key", id.task_public_key},
                        {"servers", servers}};
  RIS_TRY_VOID(security::write_file_atomic(dir / "agent.key", id.key_pem, 0600));
  RIS_TRY_VOID(security::write_file_atomic(dir / "agent.crt", id.cert_pem, 0644));
  RIS_TRY_VOID(security::write_file_atomic(dir / "ca.crt", id.ca_pem, 0644));
  RIS_TRY_VOID(
      security::write_file_atomic(dir / "agent.json", boost::json::serialize(o) + "\n", 0600));
  return {};
}

Result<Identity> load_identity(const fs::path& dir) {
  RIS_TRY(auto json, security::read_small_file(dir / "agent.json", security::kOwnerOnly));
  if (!json)
    return fail(Errc::not_found,
                "no agent identity in " + dir.string() + ": run `ris-agent join` first");
  boost::json::error_code ec;
  auto v = boost::json::parse(*json, ec);
  if (ec || !v.is_object())
    return fail(Errc::invalid_argument, (dir / "agent.json").string() + " is not valid JSON");
  const auto& o = v.as_object();
  Identity id;
  auto s = [&](const char* k) {
    return o.contains(k) && o.at(k).is_string() ? std::string(o.at(k).as_string()) : "";
  };
  id.agent_id = s("agent_id");
  id.space_id = s("space_id");
  id.task_public_key = s("task_public_key");
  if (o.contains("servers") && o.at("servers").is_array())
    for (const auto& u : o.at("servers").as_array())
      if (u.is_string())
        id.servers.emplace_back(u.as_string());
  RIS_TRY(auto key, security::read_small_file(dir / "agent.key", security::kOwnerOnly));
  RIS_TRY(auto cert, security::read_small_file(dir / "agent.crt", security::kAnyMode));
  RIS_TRY(auto ca, security::read_small_file(dir / "ca.crt", security::kAnyMode));
  if (!key || !cert || !ca || id.agent_id.empty() || id.servers.empty())
    return fail(Errc::invalid_argument,
                "incomplete agent state in " + dir.string() + ": join again");
  id.key_pem = std::move(*key);
  id.cert_pem = std::move(*cert);
  id.ca_pem = std::move(*ca);
  return id;
}

Result<ExecutedLog*> ExecutedLog::open(const fs::path& dir) {
  const fs::path path = dir / "executed.log";
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(Errc::unavailable, "cannot open " + path.string() + ": " + std::strerror(errno));
  auto* log = new ExecutedLog(fd);
  std::ifstream f(path);
  std::string kind, id;
  while (f >> kind >> id)
    (kind == "S" ? log->started_ : log->finished_).insert(id);
  return log;
}

ExecutedLog::~ExecutedLog() {
  ::close(fd_);
}

Result<void> ExecutedLog::append(const std::string& line, bool durable) {
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    return fail(Errc::unavailable,
                std::string("cannot write executed.log: ") + std::strerror(errno));
  if (durable && ::fdatasync(fd_) != 0)
    return fail(Errc::unavailable,
                std::string("cannot sync executed.log: ") + std::strerror(errno));
  return {};
}

bool ExecutedLog::seen(const std::string& run_id) {
  std::lock_guard lock(mu_);
  return started_.count(run_id) > 0;
}

Result<bool> ExecutedLog::start(const std::string& run_id) {
  std::lock_guard lock(mu_);
  if (!started_.insert(run_id).second)
    return false;
  RIS_TRY_VOID(append("S " + run_id + "\n", true));
  return true;
}

Result<void> ExecutedLog::finish(const std::string& run_id) {
  std::lock_guard lock(mu_);
  finished_.insert(run_id);
  return append("F " + run_id + "\n", false);
}

std::vector<std::string> ExecutedLog::unfinished() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& id : started_)
    if (!finished_.count(id))
      out.push_back(id);
  return out;
}

Result<Outbox*> Outbox::open(const fs::path& dir) {
  const fs::path box = dir / "outbox";
  std::error_code ec;
  fs::create_directories(box, ec);
  if (ec)
    return fail(Errc::unavailable, "cannot create " + box.string() + ": " + ec.message());
  int64_t next = 1;
  // The sequence continues after the highest message ever stored (a marker keeps it when empty).
  if (auto marker = read_file(dir / "outbox.seq"))
    next = std::max<int64_t>(next, std::atoll(marker->c_str()));
  for (const auto& e : fs::directory_iterator(box, ec))
    next = std::max<int64_t>(next, std::atoll(e.path().stem().c_str()) + 1);
  return new Outbox(box, next);
}

Result<std::pair<int64_t, std::string>> Outbox::add(boost::json::object message, bool durable) {
  std::lock_guard lock(mu_);
  const int64_t seq = next_++;
  message["seq"] = seq;
  std::string text = boost::json::serialize(message);
  RIS_TRY_VOID(security::write_file_atomic(dir_ / seq_name(seq), text, 0600));
  if (durable || seq % 100 == 0)
    RIS_TRY_VOID(security::write_file_atomic(dir_.parent_path() / "outbox.seq",
                                             std::to_string(next_), 0600));
  return std::pair{seq, std::move(text)};
}

void Outbox::acknowledge(int64_t up_to) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (std::atoll(e.path().stem().c_str()) <= up_to)
      fs::remove(e.path(), ec);
}

std::vector<std::string> Outbox::pending() {
  std::lock_guard lock(mu_);
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& f : files)
    if (auto text = read_file(f))
      out.push_back(std::move(*text));
  return out;
}

size_t Outbox::size() {
  std::lock_guard lock(mu_);
  std::error_code ec;
  return static_cast<size_t>(
      std::distance(fs::directory_iterator(dir_, ec), fs::directory_iterator()));
}

}  // namespace ris::agent
