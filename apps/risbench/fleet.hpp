// The system under test: one risd started by risbench on its own data directory (kept between
// runs, so that enrolled agents' certificates are issued once and cached), an administrator's
// token, a space "bench", and as many enrolled agent identities as a scenario needs.
#pragma once
#include <boost/json/value.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "processes.hpp"
#include "ris/net/client.hpp"

namespace ris::bench {

struct FleetOptions {
  std::filesystem::path risd;  // the risd binary
  std::filesystem::path work;  // data directory, identity cache, logs
  int port = 0;                // 0: a free one
  // More than 1: a cluster — that many risd on the database of RIS_DATABASE_URL (PostgreSQL),
  // linked by a nats-server of the fleet's own; the REST API is always asked at the first.
  size_t servers = 1;
  std::filesystem::path nats_server;
};

// risd's CA certificate in a work directory (made by risd on its first start).
std::filesystem::path ca_file_of(const std::filesystem::path& work);
// One of urls() ("https://127.0.0.1:PORT") as a client's URL.
net::Url server_url(const std::string& https_url);

class Fleet {
 public:
  explicit Fleet(FleetOptions options);  // starts risd and signs in; throws on failure
  ~Fleet();

  // Enrols agents until the cache holds `count`; returns the cache file (one JSON line each).
  std::filesystem::path identities(size_t count);
  // A REST call as the administrator; throws unless the status is 2xx.
  boost::json::value api(const std::string& method, const std::string& target,
                         const boost::json::value& body = nullptr);
  net::HttpsClient& client() { return *client_; }
  std::string auth_header() const { return "Bearer " + token_; }

  const std::string& url() const { return url_; }
  // Every server's URL (the first is url()), for spreading agents over them.
  const std::vector<std::string>& urls() const { return urls_; }
  // The fleet's nats-server (JetStream on), "" for a single server.
  const std::string& nats_url() const { return nats_url_; }
  // Agents connected, summed over the live servers (each /health counts its own).
  int64_t connected();
  // SIGKILLs server k (1 .. servers-1; the first one answers the REST API) and waits for it.
  void kill_server(size_t k);
  std::vector<pid_t> risd_pids() const;
  int port() const { return options_.port; }
  const std::string& space() const { return space_; }
  const std::filesystem::path& ca_file() const { return ca_file_; }
  const std::filesystem::path& work() const { return options_.work; }
  pid_t risd_pid() const { return risd_->pid(); }
  int64_t open_files_limit() const { return open_files_limit_; }

 private:
  FleetOptions options_;
  std::unique_ptr<Child> nats_;
  std::unique_ptr<Child> risd_;
  std::vector<std::unique_ptr<Child>> peers_;  // servers 2..N
  std::vector<std::unique_ptr<net::HttpsClient>> peer_clients_;
  std::unique_ptr<net::HttpsClient> client_;
  std::vector<std::string> urls_;
  std::string url_, token_, space_, nats_url_;
  std::filesystem::path ca_file_;
  int64_t open_files_limit_ = 0;
};

}  // namespace ris::bench
