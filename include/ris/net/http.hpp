// HTTP requests and responses as the rest of RIS sees them: plain structs, no Beast.
// The network layer parses and limits; handlers get a complete Request and answer through
// a Reply, from any thread, exactly once.
#pragma once
#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::net {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as received: path and query
  std::string path;                                          // percent-decoded path
  std::multimap<std::string, std::string> query;             // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::map<std::string, std::string> params;                 // path parameters ({id} in a route)
  std::string body;
  std::string remote_address;
  std::string request_id;
  std::string peer_identity;  // CN of a verified client certificate, "" without one

  // First header with this (lower-case) name, or "".
  std::string_view header(std::string_view name) const;
  // First query parameter with this name, or "".
  std::string_view query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&, Reply)>;

// RFC 9457 problem details. `type` is a stable slug appended to "https://ris.dev/problems/".
Response problem(int status, std::string_view type, std::string_view title,
                 std::string_view detail);
// Maps an Error to its HTTP status and problem.
Response problem(const Error& error);
Response json_response(int status, const boost::json::value& body);

// Splits a request target into a decoded path and query parameters. Rejects targets that do
// not start with '/', bad percent escapes, NUL bytes and overlong input. Faces the network:
// fuzzed by tests/fuzz/fuzz_target.cpp.
struct ParsedTarget {
  std::string path;
  std::multimap<std::string, std::string> query;
};
Result<ParsedTarget> parse_target(std::string_view target);
// Percent-encodes `s` for a query value or a path segment (RFC 3986 unreserved kept as is).
std::string percent_encode(std::string_view s);

}  // namespace ris::net
