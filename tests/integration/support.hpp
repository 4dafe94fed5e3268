// Integration-test support: a real risd process on a free loopback port with a temporary data
// directory, and small blocking TLS clients (HTTP, raw, WebSocket) that verify the server
// against its own CA. No Beast in this header, so the tests themselves compile quickly.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ris::test {

class RisdProcess {
 public:
  // `data_dir` empty: a fresh temporary directory, removed by the destructor.
  explicit RisdProcess(std::vector<std::string> extra_args = {},
                       std::filesystem::path data_dir = {});
  ~RisdProcess();
  RisdProcess(const RisdProcess&) = delete;
  RisdProcess& operator=(const RisdProcess&) = delete;

  // Environment for the risd process (set before start()).
  void set_env(std::string name, std::string value) {
    env_.emplace_back(std::move(name), std::move(value));
  }
  // Starts risd and waits until it prints its URL; throws with risd's stderr on failure.
  void start();
  // Sends `sig` and waits up to `timeout` for exit; returns the exit code (128+n if killed by n).
  int stop(int sig, std::chrono::milliseconds timeout);
  // Sends `sig` and returns at once (SIGSTOP and SIGCONT, to pause the server and resume it).
  void signal(int sig);
  bool running();
  uint16_t port() const { return port_; }
  const std::string& ca_sha256() const { return ca_sha256_; }
  std::filesystem::path ca_file() const { return data_dir_ / "tls" / "ca.crt"; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::string log() const;  // risd's stderr so far

 private:
  std::string test_database_url() const;

  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::filesystem::path data_dir_;
  bool own_dir_ = false;
  int pid_ = -1;
  uint16_t port_ = 0;
  std::string ca_sha256_;
};

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One HTTPS request on a fresh connection; throws on connection or TLS errors.
HttpResult https(uint16_t port, const std::filesystem::path& ca_file, const std::string& method,
                 const std::string& target, const std::string& body = "",
                 const std::map<std::string, std::string>& headers = {});

// A raw TLS connection for sending malformed or slow input.
class TlsConnection {
 public:
  // max_tls12: offer at most TLS 1.2 (to check that the server refuses it).
  TlsConnection(uint16_t port, const std::filesystem::path& ca_file, bool max_tls12 = false);
  ~TlsConnection();
  bool handshake();                      // false when the server refuses
  bool write(const std::string& bytes);  // false once the server has closed
  // Reads what arrives within `timeout`; nullopt when the server closed the connection.
  std::optional<std::string> read(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WsClient {
 public:
  WsClient(uint16_t port, const std::filesystem::path& ca_file, const std::string& target);
  ~WsClient();
  // False when the server has closed the connection (its close frame can still be received).
  bool send(const std::string& text);
  // One text message sent as these frames (fragmentation), false when the server has closed.
  bool send_frames(const std::vector<std::string>& frames);
  // Next text message; nullopt when the server closed (see close_code()).
  std::optional<std::string> receive();
  int close_code() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a shell command, returns exit code and combined output.
std::pair<int, std::string> run_command(const std::string& command);

}  // namespace ris::test
