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
};

// risd's CA certificate in a work directory (made by risd on its first start).
std::filesystem::path ca_file_of(const std::filesystem::path& work);

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
  int port() const { return options_.port; }
  const std::string& space() const { return space_; }
  const std::filesystem::path& ca_file() const { return ca_file_; }
  const std::filesystem::path& work() const { return options_.work; }
  pid_t risd_pid() const { return risd_->pid(); }
  int64_t open_files_limit() const { return open_files_limit_; }

 private:
  FleetOptions options_;
  std::unique_ptr<Child> risd_;
  std::unique_ptr<net::HttpsClient> client_;
  std::string url_, token_, space_;
  std::filesystem::path ca_file_;
  int64_t open_files_limit_ = 0;
};

}  // namespace ris::bench
