#include "fleet.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ris/security/ca.hpp"

namespace ris::bench {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
constexpr const char* kAdminPassword = "risbench administrator passphrase";

// The end of a log, for error messages.
std::string tail(const std::filesystem::path& p) {
  const std::string text = read_file(p);
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

size_t count_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line))
    n += !line.empty();
  return n;
}

// Every scenario starts from the same database: the enrolled agents (their certificates are
// cached) and the bench space, without what earlier runs left — tasks and their output, health
// samples, audit entries. A database grown by a day of runs (640 MB, 378,000 runs) made the
// latency scenario's p99 half again as long, which read as a regression of the code. risd
// deletes them itself, before it starts: risbench never opens risd's database.
void forget_earlier_runs(const std::filesystem::path& risd, const std::filesystem::path& work) {
  const auto data_dir = work / "data";
  // risd has run here before: its SQLite file, or its CA beside a database elsewhere
  // (RIS_DATABASE_URL, inherited by risd and by this command alike).
  const char* url = std::getenv("RIS_DATABASE_URL");
  const bool elsewhere = url && *url && std::string_view(url) != "sqlite:";
  if (!std::filesystem::exists(elsewhere ? data_dir / "tls" / "ca.crt" : data_dir / "ris.db"))
    return;
  const auto log = work / "risd-admin.log";
  Child reset(
      {risd.string(), "admin", "reset-fleet-history", "--data-dir", data_dir.string(), "--yes"}, {},
      log);
  if (const int code = reset.wait(); code != 0)
    throw std::runtime_error("risd admin reset-fleet-history failed (exit " + std::to_string(code) +
                             "): " + tail(log));
}
}  // namespace

net::Url server_url(const std::string& https_url) {
  const auto colon = https_url.rfind(':');
  return {"127.0.0.1", static_cast<uint16_t>(std::stoi(https_url.substr(colon + 1))), "/", ""};
}

std::filesystem::path ca_file_of(const std::filesystem::path& work) {
  return work / "data/tls/ca.crt";
}

Fleet::Fleet(FleetOptions options) : options_(std::move(options)) {
  std::filesystem::create_directories(options_.work / "data");
  forget_earlier_runs(options_.risd, options_.work);
  if (!options_.port)
    options_.port = free_port();
  url_ = "https://127.0.0.1:" + std::to_string(options_.port);
  urls_ = {url_};
  std::map<std::string, std::string> env{{"RIS_ADMIN_EMAIL", "bench@localhost"},
                                         {"RIS_ADMIN_PASSWORD", kAdminPassword}};
  std::vector<std::string> argv{options_.risd.string(),
                                "--listen",
                                "127.0.0.1:" + std::to_string(options_.port),
                                "--data-dir",
                                (options_.work / "data").string(),
                                "--log-level",
                                "warn"};
  if (options_.servers > 1) {
    const char* db = std::getenv("RIS_DATABASE_URL");
    if (!db || !std::string_view(db).starts_with("postgres"))
      throw std::runtime_error("--servers needs RIS_DATABASE_URL naming a PostgreSQL database");
    const int nats_port = free_port();
    nats_ = std::make_unique<Child>(
        std::vector<std::string>{options_.nats_server.string(), "-a", "127.0.0.1", "-p",
                                 std::to_string(nats_port), "-js", "-sd",
                                 (options_.work / "jetstream").string()},
        std::map<std::string, std::string>{}, options_.work / "nats.log");
    std::this_thread::sleep_for(500ms);
    if (!nats_->running())
      throw std::runtime_error("nats-server did not start: " + tail(options_.work / "nats.log"));
    nats_url_ = "nats://127.0.0.1:" + std::to_string(nats_port);
    env["RIS_NATS_URL"] = nats_url_;
    argv.insert(argv.end(), {"--server-id", "s0"});
  }
  risd_ = std::make_unique<Child>(argv, env, options_.work / "risd.log");
  ca_file_ = ca_file_of(options_.work);
  net::Url url{"127.0.0.1", static_cast<uint16_t>(options_.port), "/", ""};
  // risd makes its CA on first start: wait for it, then for the port.
  for (int i = 0; i < 600; ++i) {
    if (!risd_->running())
      throw std::runtime_error("risd exited at start: " + tail(options_.work / "risd.log"));
    if (std::filesystem::exists(ca_file_)) {
      client_ = std::make_unique<net::HttpsClient>(url, net::ClientTls{read_file(ca_file_)});
      if (auto r = client_->request("GET", "/health?detailed=true", {}, {}, 2s);
          r && r->status == 200) {
        auto health = json::parse(r->body);
        open_files_limit_ =
            health.at_pointer("/details/open_files/soft_limit").to_number<int64_t>();
        break;
      }
      client_.reset();
    }
    std::this_thread::sleep_for(100ms);
  }
  if (!client_)
    throw std::runtime_error("risd did not answer on " + url_ + ": " +
                             tail(options_.work / "risd.log"));
  // The other servers: their own data directories; the CA and the task key come from the
  // database, the master key is the first one's.
  for (size_t k = 1; k < options_.servers; ++k) {
    const int port = free_port();
    const auto dir = options_.work / ("data-s" + std::to_string(k));
    std::filesystem::create_directories(dir);
    const auto log = options_.work / ("risd-s" + std::to_string(k) + ".log");
    peers_.push_back(std::make_unique<Child>(
        std::vector<std::string>{
            options_.risd.string(), "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir",
            dir.string(), "--log-level", "warn", "--server-id", "s" + std::to_string(k),
            "--master-key-file", (options_.work / "data" / "master.key").string()},
        env, log));
    const net::Url u{"127.0.0.1", static_cast<uint16_t>(port), "/", ""};
    std::unique_ptr<net::HttpsClient> c;
    for (int i = 0; i < 600 && !c; ++i) {
      if (!peers_.back()->running())
        throw std::runtime_error("risd s" + std::to_string(k) + " exited at start: " + tail(log));
      auto probe = std::make_unique<net::HttpsClient>(u, net::ClientTls{read_file(ca_file_)});
      if (auto r = probe->request("GET", "/health", {}, {}, 2s); r && r->status == 200)
        c = std::move(probe);
      else
        std::this_thread::sleep_for(100ms);
    }
    if (!c)
      throw std::runtime_error("risd s" + std::to_string(k) + " did not answer: " + tail(log));
    peer_clients_.push_back(std::move(c));
    urls_.push_back("https://127.0.0.1:" + std::to_string(port));
  }
  auto login = client_->request(
      "POST", "/api/v1/auth/login",
      json::serialize(json::object{{"login", "admin"}, {"password", kAdminPassword}}));
  if (!login || login->status != 200)
    throw std::runtime_error("cannot sign in to risd: " +
                             (login ? login->body : login.error().message));
  token_ = std::string(json::parse(login->body).at("access_token").as_string());
  const auto spaces = api("GET", "/api/v1/spaces");  // kept: the loop below borrows from it
  for (const auto& s : spaces.at("items").as_array())
    if (s.at("name") == json::value("bench"))
      space_ = std::string(s.at("id").as_string());
  if (space_.empty())
    space_ = std::string(
        api("POST", "/api/v1/spaces", json::object{{"name", "bench"}}).at("id").as_string());
}

Fleet::~Fleet() {
  client_.reset();
  peer_clients_.clear();
  for (auto& p : peers_)
    p->stop(30s);
  if (risd_)
    risd_->stop(30s);
  if (nats_)
    nats_->stop(5s);
}

int64_t Fleet::connected() {
  auto count = [](net::HttpsClient& c) -> int64_t {
    auto r = c.request("GET", "/health?detailed=true", {}, {}, 10s);
    if (!r || r->status != 200)
      return 0;
    return json::parse(r->body).at_pointer("/details/agents/connected").to_number<int64_t>();
  };
  int64_t total = count(*client_);
  for (auto& c : peer_clients_)
    if (c)
      total += count(*c);
  return total;
}

void Fleet::kill_server(size_t k) {
  if (k == 0 || k > peers_.size())
    throw std::invalid_argument("no server " + std::to_string(k) + " to kill");
  peer_clients_[k - 1].reset();
  ::kill(peers_[k - 1]->pid(), SIGKILL);
  (void)peers_[k - 1]->wait();
}

std::vector<pid_t> Fleet::risd_pids() const {
  std::vector<pid_t> out{risd_->pid()};
  for (const auto& p : peers_)
    out.push_back(p->pid());
  return out;
}

json::value Fleet::api(const std::string& method, const std::string& target,
                       const json::value& body) {
  auto r = client_->request(method, target, body.is_null() ? std::string() : json::serialize(body),
                            {{"Authorization", auth_header()}}, 60s);
  if (!r)
    throw std::runtime_error(method + " " + target + ": " + r.error().message);
  if (r->status < 200 || r->status > 299)
    throw std::runtime_error(method + " " + target + ": HTTP " + std::to_string(r->status) + " " +
                             r->body);
  return r->body.empty() ? json::value() : json::parse(r->body);
}

std::filesystem::path Fleet::identities(size_t count) {
  const auto file = options_.work / "agents.jsonl";
  const size_t have = count_lines(file);
  if (have >= count)
    return file;
  const size_t missing = count - have;
  const std::string token(api("POST", "/api/v1/spaces/" + space_ + "/agents/join-tokens",
                              json::object{{"labels", json::object{{"bench", "yes"}}},
                                           {"uses", static_cast<int64_t>(missing)},
                                           {"ttl_seconds", 86400}})
                              .at("token")
                              .as_string());
  std::ofstream out(file, std::ios::app);
  std::mutex mu;
  std::string failure;
  size_t next = 0;
  const net::Url url{"127.0.0.1", static_cast<uint16_t>(options_.port), "/", ""};
  const net::ClientTls tls{read_file(ca_file_)};
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(mu);
        if (next >= missing || !failure.empty())
          return;
        i = have + next++;
      }
      auto csr = security::new_client_key_and_csr("ris-agent");
      if (!csr) {
        std::lock_guard lock(mu);
        failure = csr.error().message;
        return;
      }
      const std::string name = "bench-" + std::to_string(i);
      auto r = net::https_request(
          url, tls, "POST", "/api/v1/agents/enrol",
          json::serialize(json::object{
              {"token", token}, {"csr", csr->csr_pem}, {"name", name}, {"hostname", name}}),
          60s);
      std::lock_guard lock(mu);
      if (!r || r->status != 200) {
        failure = r ? r->body : r.error().message;
        return;
      }
      auto v = json::parse(r->body).as_object();
      out << json::serialize(json::object{
                 {"id", v.at("agent_id")}, {"key", csr->key_pem}, {"cert", v.at("certificate")}})
          << '\n';
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back(worker);
  for (auto& t : threads)
    t.join();
  if (!failure.empty())
    throw std::runtime_error("enrolment failed: " + failure);
  return file;
}

}  // namespace ris::bench
