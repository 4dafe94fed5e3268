// risctl's connection to a risd: JSON requests on one keep-alive TLS connection, problem+json
// errors turned into "Title: detail" messages, and the access token refreshed (and saved) when
// it has expired. A context may name several servers of one cluster (comma-separated URLs):
// when one cannot be reached, the next is tried, and the one that answered serves the rest of
// the invocation. An HTTP error answer is an answer: it is never retried elsewhere.
#pragma once
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "ris/core/result.hpp"
#include "ris/net/client.hpp"

namespace ris::cli {

// A failed request: the HTTP status (0 when no answer) and the server's problem.
struct ApiError {
  int status = 0;
  std::string type;  // problem type's last path segment ("totp-required"), may be empty
  std::string message;
};

Result<net::ClientTls> tls_for(const Context& ctx);
// The URLs of a server setting: "https://a:8057,https://b:8057" (spaces around commas allowed).
Result<std::vector<net::Url>> parse_server_list(std::string_view servers);
// "https://host:port" of a URL (IPv6 literals in brackets), as stored in a context.
std::string server_text(const net::Url& url);
// "Title: detail" from a problem+json body (or the raw body when it is not one).
ApiError api_error(int status, const std::string& body);

class Api {
 public:
  // Signed in through context `name` of `config` (saved to `path` when tokens are refreshed).
  static Result<Api> open(Config& config, std::filesystem::path path, std::string name);
  Api(Api&&) noexcept;
  ~Api();

  // The JSON answer, or an error with the server's message. Empty body for 204.
  Result<boost::json::value> call(std::string_view method, const std::string& target,
                                  const std::optional<boost::json::value>& body = std::nullopt);
  // call() with a body that is not JSON (a key's value, sent as `content_type`) and its own
  // deadline (a watch waits on the server).
  Result<boost::json::value> call_with(std::string_view method, const std::string& target,
                                       const std::string& body, std::string_view content_type,
                                       std::chrono::milliseconds timeout);
  // The raw answer (a file), refreshing the token like call(); an error for any status >= 300.
  // Bounded by the client's 64 MiB body limit.
  Result<net::ClientReply> download(std::string_view method, const std::string& target,
                                    std::chrono::milliseconds timeout);
  const ApiError& last_error() const { return last_error_; }
  Context& context() { return *ctx_; }
  // The server in use: the first of the context's that could be reached (for WebSockets).
  const net::Url& url() const { return urls_[current_]; }
  std::string server() const { return server_text(url()); }
  const std::string& context_name() const { return name_; }
  // "/api/v1/spaces/<space>" of --space or the context's default; an error naming the fix.
  Result<std::string> space_path();
  // Resolves a space name or id to its id.
  Result<std::string> space_id(const std::string& name_or_id);
  void override_space(std::string space) { space_override_ = std::move(space); }
  // A fresh access token (refreshed when expired) for the events WebSocket.
  Result<std::string> access_token();

 private:
  Api(Config& config, std::filesystem::path path, std::string name, std::vector<net::Url> urls,
      net::ClientTls tls);
  // One request, on the next server while one cannot be reached and the request cannot have
  // been acted on (it never went out, or it is a GET/HEAD).
  Result<net::ClientReply> exchange(std::string_view method, const std::string& target,
                                    const std::string& body, const net::HttpsClient::Headers& h,
                                    std::chrono::milliseconds timeout);
  Result<void> refresh();
  Result<net::ClientReply> send(std::string_view method, const std::string& target,
                                const std::string& body,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                std::string_view accept = "application/json",
                                std::string_view content_type = "application/json");
  // send(), and once more after refreshing an expired access token.
  Result<net::ClientReply> send_signed_in(std::string_view method, const std::string& target,
                                          const std::string& body,
                                          std::chrono::milliseconds timeout,
                                          std::string_view accept,
                                          std::string_view content_type = "application/json");

  Config* config_;
  std::filesystem::path path_;
  std::string name_;
  Context* ctx_;
  std::vector<net::Url> urls_;
  size_t current_ = 0;
  net::ClientTls tls_;
  std::unique_ptr<net::HttpsClient> client_;
  ApiError last_error_;
  std::string space_override_;
};

}  // namespace ris::cli
