// Outbound HTTP(S) requests for the agent's `http` task: any URL, the system's trust store (or
// no verification when the task asks), a deadline for the whole exchange, a capped body.
#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::net {

struct FetchRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
  bool verify_tls = true;
  size_t max_body_bytes = 1 << 20;
};

struct FetchResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool truncated = false;  // the body was longer than max_body_bytes
};

Result<FetchResponse> fetch(const FetchRequest& request);

}  // namespace ris::net
