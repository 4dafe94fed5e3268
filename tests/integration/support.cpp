#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "store/testing/test_database.hpp"

namespace ris::test {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {
std::filesystem::path make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "risd-it-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

ssl::context client_context(const std::filesystem::path& ca_file, bool max_tls12) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(ca_file.string());
  ctx.set_verify_mode(ssl::verify_peer);
  if (max_tls12)
    SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  return ctx;
}

void connect_tls(beast::ssl_stream<beast::tcp_stream>& s, uint16_t port) {
  beast::get_lowest_layer(s).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  SSL_set_tlsext_host_name(s.native_handle(), "localhost");
  s.set_verify_callback(ssl::host_name_verification("localhost"));
}
}  // namespace

RisdProcess::RisdProcess(std::vector<std::string> extra_args, std::filesystem::path data_dir)
    : args_(std::move(extra_args)), data_dir_(std::move(data_dir)) {
  if (data_dir_.empty()) {
    data_dir_ = make_temp_dir();
    own_dir_ = true;
  }
}

RisdProcess::~RisdProcess() {
  if (pid_ > 0)
    stop(SIGKILL, std::chrono::seconds(10));
  // A failed test shows what risd said (its data directory is removed below).
  if (::testing::Test::HasFailure()) {
    const std::string text = log();
    const size_t from = text.size() > 6000 ? text.find('\n', text.size() - 6000) : 0;
    std::cerr << "--- risd stderr (" << data_dir_.string() << ", last lines):\n"
              << text.substr(from == std::string::npos ? 0 : from) << "--- end of risd stderr\n";
  }
  if (own_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

std::string RisdProcess::log() const {
  std::ifstream in(data_dir_ / "risd.stderr");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// On the PostgreSQL pass, each data directory gets a database of its own, remembered in the
// directory so that a risd restarted on it finds its data again. Empty on SQLite (the data
// directory's ris.db) and when the test chose a database itself.
std::string RisdProcess::test_database_url() const {
  if (store::testing::test_engine() != store::Engine::postgres)
    return {};
  if (std::find(args_.begin(), args_.end(), "--database-url") != args_.end())
    return {};
  for (const auto& [k, v] : env_) {
    if (k == "RIS_DATABASE_URL")
      return {};
  }
  const auto file = data_dir_ / "test-database-url";
  std::string url;
  if (std::ifstream in(file); in)
    std::getline(in, url);
  if (url.empty()) {
    url = store::testing::fresh_database_url(data_dir_);
    std::ofstream(file) << url << "\n";
  }
  return url;
}

void RisdProcess::start() {
  int out[2];
  if (pipe(out) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<std::string> argv = {
      RISD_BINARY, "--listen", "127.0.0.1:0", "--data-dir", data_dir_.string(), "--threads", "2"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  const std::string database_url = test_database_url();
  const std::string err_path = (data_dir_ / "risd.stderr").string();
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(err, 2);
    close(out[0]);
    close(out[1]);
    std::vector<char*> cargv;
    for (auto& a : argv)
      cargv.push_back(a.data());
    cargv.push_back(nullptr);
    setenv("RIS_LOG_LEVEL", "warn", 0);
    if (!database_url.empty())
      setenv("RIS_DATABASE_URL", database_url.c_str(), 1);
    for (auto& [k, v] : env_)
      setenv(k.c_str(), v.c_str(), 1);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(out[1]);
  // Read stdout until the URL line appears (sanitizer builds start slowly: generous limit).
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::regex url_re(R"(listening on https://127\.0\.0\.1:(\d+))"),
      hash_re(R"(sha256 pin: (sha256:[0-9a-f]{64}))");
  std::smatch m;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0)
        break;
      text.append(buf, static_cast<size_t>(n));
      if (std::regex_search(text, m, hash_re)) {
        ca_sha256_ = m[1];
        std::regex_search(text, m, url_re);
        port_ = static_cast<uint16_t>(std::stoi(m[1]));
        close(out[0]);
        return;
      }
    }
  }
  close(out[0]);
  stop(SIGKILL, std::chrono::seconds(5));
  throw std::runtime_error("risd did not start; stdout: " + text + "\nstderr: " + log());
}

bool RisdProcess::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void RisdProcess::signal(int sig) {
  if (pid_ > 0)
    kill(pid_, sig);
}

int RisdProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_)
      break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -2;  // did not exit in time
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // A sanitizer report (TSan exits 66) or a crash is only in risd's stderr: show it with the
  // failure so that CI's output names the cause.
  if (code != 0 && !(sig != SIGTERM && sig != SIGINT && code == 128 + sig))
    std::cerr << "risd exited " << code << "; its stderr:\n" << log() << '\n';
  return code;
}

HttpResult https(uint16_t port, const std::filesystem::path& ca_file, const std::string& method,
                 const std::string& target, const std::string& body,
                 const std::map<std::string, std::string>& headers) {
  asio::io_context ioc;
  auto ctx = client_context(ca_file, false);
  beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
  connect_tls(s, port);
  beast::get_lowest_layer(s).expires_after(std::chrono::seconds(60));
  s.handshake(ssl::stream_base::client);
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "localhost");
  for (auto& [k, v] : headers)
    req.set(k, v);
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT")
    req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(s, buf, parser);
  auto res = parser.release();
  HttpResult out;
  out.status = res.result_int();
  for (auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = res.body();
  beast::error_code ec;
  s.shutdown(ec);
  return out;
}

struct TlsConnection::Impl {
  asio::io_context ioc;
  ssl::context ctx;
  beast::ssl_stream<beast::tcp_stream> s;
  Impl(uint16_t port, const std::filesystem::path& ca, bool tls12)
      : ctx(client_context(ca, tls12)), s(ioc, ctx) {
    connect_tls(s, port);
  }
};

TlsConnection::TlsConnection(uint16_t port, const std::filesystem::path& ca_file, bool max_tls12)
    : impl_(std::make_unique<Impl>(port, ca_file, max_tls12)) {}
TlsConnection::~TlsConnection() = default;

bool TlsConnection::handshake() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->s).expires_after(std::chrono::seconds(30));
  impl_->s.handshake(ssl::stream_base::client, ec);
  return !ec;
}

bool TlsConnection::write(const std::string& bytes) {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->s).expires_after(std::chrono::seconds(10));
  asio::write(impl_->s, asio::buffer(bytes), ec);
  return !ec;
}

std::optional<std::string> TlsConnection::read(std::chrono::milliseconds timeout) {
  std::string out;
  char buf[16384];
  beast::get_lowest_layer(impl_->s).expires_after(timeout);
  for (;;) {
    beast::error_code ec;
    size_t n = impl_->s.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec == beast::error::timeout)
      return out;
    if (ec)
      return out.empty() ? std::nullopt : std::optional<std::string>(out);
    // Keep reading briefly for the rest of a response.
    beast::get_lowest_layer(impl_->s).expires_after(std::chrono::milliseconds(200));
  }
}

struct WsClient::Impl {
  asio::io_context ioc;
  ssl::context ctx;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
  beast::flat_buffer buf;
  int close_code = 0;
  explicit Impl(const std::filesystem::path& ca) : ctx(client_context(ca, false)), ws(ioc, ctx) {}
};

WsClient::WsClient(uint16_t port, const std::filesystem::path& ca_file, const std::string& target)
    : impl_(std::make_unique<Impl>(ca_file)) {
  auto& ws = impl_->ws;
  connect_tls(ws.next_layer(), port);
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(60));
  ws.next_layer().handshake(ssl::stream_base::client);
  beast::get_lowest_layer(ws).expires_never();
  ws.read_message_max(16 * 1024 * 1024);
  ws.handshake("localhost", target);
}
WsClient::~WsClient() = default;

bool WsClient::send(const std::string& text) {
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
  return !ec;
}

bool WsClient::send_frames(const std::vector<std::string>& frames) {
  beast::error_code ec;
  impl_->ws.text(true);
  for (size_t i = 0; i < frames.size() && !ec; ++i)
    impl_->ws.write_some(i + 1 == frames.size(), asio::buffer(frames[i]), ec);
  return !ec;
}

std::optional<std::string> WsClient::receive() {
  beast::error_code ec;
  impl_->buf.clear();
  impl_->ws.read(impl_->buf, ec);
  if (ec) {
    impl_->close_code = impl_->ws.reason().code;
    return std::nullopt;
  }
  return beast::buffers_to_string(impl_->buf.data());
}

int WsClient::close_code() const {
  return impl_->close_code;
}

std::pair<int, std::string> run_command(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p)
    return {-1, "popen failed"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace ris::test
