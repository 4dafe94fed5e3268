#include "ris/net/router.hpp"

#include <map>

namespace ris::net {
namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash);
  }
  return out;
}
bool is_param(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}
// Whether a path's segments fit a route's pattern; fills `params` (if given) on a fit.
bool fits(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
          std::map<std::string, std::string>* params) {
  if (pattern.size() != segments.size())
    return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (is_param(pattern[i])) {
      if (segments[i].empty())
        return false;
      if (params)
        (*params)[pattern[i].substr(1, pattern[i].size() - 2)] = segments[i];
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  auto segments = split_path(pattern);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

void Router::add_upload(std::string method, std::string pattern, Handler handler) {
  add(std::move(method), std::move(pattern), std::move(handler));
  routes_.back().upload = true;
}

bool Router::is_upload(std::string_view method, std::string_view path) const {
  const auto segments = split_path(path.substr(0, path.find('?')));
  for (const auto& r : routes_)
    if (r.upload && r.method == method && fits(r.segments, segments, nullptr))
      return true;
  return false;
}

void Router::add_websocket(std::string path, WsHandlerFactory factory,
                           std::shared_ptr<AcceptRate> rate) {
  websockets_.push_back({std::move(path), std::move(factory), std::move(rate)});
}

Router::Match Router::match(Request& request) const {
  Match m;
  m.route = "unmatched";
  m.status = 404;
  auto segments = split_path(request.path);
  // A trailing slash is a different resource; keep it strict so URLs have one spelling.
  if (request.path.size() > 1 && request.path.back() == '/')
    return m;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!fits(r.segments, segments, &params))
      continue;
    if (r.method == request.method || (request.method == "HEAD" && r.method == "GET")) {
      m.handler = &r.handler;
      m.route = r.pattern;
      m.status = 200;
      request.params = std::move(params);
      return m;
    }
    m.route = r.pattern;
    m.status = 405;
    if (m.allow.find(r.method) == std::string::npos) {
      if (!m.allow.empty())
        m.allow += ", ";
      m.allow += r.method;
    }
  }
  return m;
}

const Router::WsRoute* Router::websocket(std::string_view path) const {
  for (const auto& w : websockets_)
    if (w.path == path)
      return &w;
  return nullptr;
}

}  // namespace ris::net
