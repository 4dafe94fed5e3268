#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "ris/net/http.hpp"

namespace ris::net {

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name)
      return v;
  return {};
}

std::string_view Request::query_param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string_view{} : std::string_view(it->second);
}

Response problem(int status, std::string_view type, std::string_view title,
                 std::string_view detail) {
  boost::json::object o;
  o["type"] = fmt::format("https://ris.dev/problems/{}", type);
  o["title"] = title;
  o["status"] = status;
  if (!detail.empty())
    o["detail"] = detail;
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = boost::json::serialize(o);
  return r;
}

Response problem(const Error& e) {
  switch (e.code) {
    case Errc::invalid_argument:
      return problem(400, "invalid-argument", "Bad request", e.message);
    case Errc::unauthenticated:
      return problem(401, "unauthenticated", "Authentication required", e.message);
    case Errc::forbidden:
      return problem(403, "forbidden", "Forbidden", e.message);
    case Errc::not_found:
      return problem(404, "not-found", "Not found", e.message);
    case Errc::conflict:
      return problem(409, "conflict", "Conflict", e.message);
    case Errc::too_large:
      return problem(413, "too-large", "Content too large", e.message);
    case Errc::rate_limited:
      return problem(429, "rate-limited", "Too many requests", e.message);
    case Errc::unavailable:
    case Errc::busy: {
      // Both pass: a database coming back, a conflict that a retry resolves.
      auto r = problem(503, e.code == Errc::busy ? "busy" : "unavailable", "Service unavailable",
                       e.message);
      r.headers.emplace_back("Retry-After", e.code == Errc::busy ? "1" : "5");
      return r;
    }
    case Errc::internal:
      break;
  }
  return problem(500, "internal", "Internal server error", e.message);
}

Response json_response(int status, const boost::json::value& body) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

namespace {
constexpr size_t kMaxTarget = 8192;

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Percent-decodes; in query components '+' means space.
Result<std::string> decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size())
        return fail(Errc::invalid_argument, "truncated percent escape in URL");
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0)
        return fail(Errc::invalid_argument, "bad percent escape in URL");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0')
      return fail(Errc::invalid_argument, "NUL byte in URL");
    out.push_back(c);
  }
  return out;
}
}  // namespace

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Result<ParsedTarget> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/')
    return fail(Errc::invalid_argument, "request target must start with '/'");
  if (target.size() > kMaxTarget)
    return fail(Errc::too_large, "request target is too long");
  ParsedTarget out;
  auto qpos = target.find('?');
  std::string_view raw_path = target.substr(0, qpos);
  if (auto hash = raw_path.find('#'); hash != std::string_view::npos)
    raw_path = raw_path.substr(0, hash);
  RIS_TRY(out.path, decode(raw_path, false));
  if (qpos == std::string_view::npos)
    return out;
  std::string_view q = target.substr(qpos + 1);
  if (auto hash = q.find('#'); hash != std::string_view::npos)
    q = q.substr(0, hash);
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      RIS_TRY(std::string key, decode(pair.substr(0, eq), true));
      std::string value;
      if (eq != std::string_view::npos) {
        RIS_TRY(value, decode(pair.substr(eq + 1), true));
      }
      out.query.emplace(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos)
      break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace ris::net
