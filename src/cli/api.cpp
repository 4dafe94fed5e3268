#include "api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

namespace ris::cli {
namespace json = boost::json;

namespace {
std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
Errc errc_for(int status) {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return Errc::invalid_argument;
    case 401:
      return Errc::unauthenticated;
    case 403:
      return Errc::forbidden;
    case 404:
      return Errc::not_found;
    case 409:
      return Errc::conflict;
    default:
      return Errc::unavailable;
  }
}
}  // namespace

Result<net::ClientTls> tls_for(const Context& ctx) {
  net::ClientTls tls;
  tls.ca_pem = ctx.ca_pem;
  tls.system_roots = ctx.ca_pem.empty();
  return tls;
}

ApiError api_error(int status, const std::string& body) {
  ApiError e{status, "", ""};
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    std::string type = str(o, "type");
    e.type = type.substr(type.rfind('/') + 1);
    const std::string title = str(o, "title"), detail = str(o, "detail");
    e.message = title.empty() ? detail : detail.empty() ? title : title + ": " + detail;
  }
  if (e.message.empty())
    e.message = "HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + body.substr(0, 200));
  return e;
}

Result<std::vector<net::Url>> parse_server_list(std::string_view servers) {
  std::vector<net::Url> out;
  size_t from = 0;
  while (from <= servers.size()) {
    size_t comma = servers.find(',', from);
    if (comma == std::string_view::npos)
      comma = servers.size();
    std::string_view one = servers.substr(from, comma - from);
    while (!one.empty() && one.front() == ' ')
      one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ')
      one.remove_suffix(1);
    if (one.empty())
      return fail(Errc::invalid_argument,
                  "empty server URL in \"" + std::string(servers) +
                      "\" (give https://HOST:PORT, several separated by commas)");
    auto url = net::parse_https_url(one);
    if (!url)
      return fail(Errc::invalid_argument,
                  "bad server URL \"" + std::string(one) + "\": " + url.error().message);
    out.push_back(std::move(*url));
    from = comma + 1;
  }
  return out;
}

std::string server_text(const net::Url& url) {
  return "https://" + (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) +
         ":" + std::to_string(url.port);
}

Api::Api(Config& config, std::filesystem::path path, std::string name, std::vector<net::Url> urls,
         net::ClientTls tls)
    : config_(&config),
      path_(std::move(path)),
      name_(std::move(name)),
      ctx_(&config.contexts.at(name_)),
      urls_(std::move(urls)),
      tls_(std::move(tls)),
      client_(std::make_unique<net::HttpsClient>(urls_.front(), tls_)) {}
Api::Api(Api&&) noexcept = default;
Api::~Api() = default;

Result<Api> Api::open(Config& config, std::filesystem::path path, std::string name) {
  if (name.empty())
    name = config.current;
  if (name.empty() || !config.contexts.contains(name))
    return fail(Errc::unauthenticated, name.empty()
                                           ? "not signed in: run risctl login https://SERVER:8057"
                                           : "no context \"" + name + "\" (risctl context list)");
  const Context& ctx = config.contexts.at(name);
  if (ctx.access_token.empty() && ctx.refresh_token.empty())
    return fail(Errc::unauthenticated,
                "signed out of " + ctx.server + ": run risctl login " + ctx.server);
  RIS_TRY(auto urls, parse_server_list(ctx.server));
  RIS_TRY(auto tls, tls_for(ctx));
  return Api(config, std::move(path), std::move(name), std::move(urls), std::move(tls));
}

Result<net::ClientReply> Api::exchange(std::string_view method, const std::string& target,
                                       const std::string& body,
                                       const net::HttpsClient::Headers& headers,
                                       std::chrono::milliseconds timeout) {
  const bool idempotent = method == "GET" || method == "HEAD";
  for (size_t tried = 1;; ++tried) {
    auto reply = client_->request(method, target, body, headers, timeout);
    if (reply || reply.error().code != Errc::unavailable || tried >= urls_.size() ||
        (client_->request_sent() && !idempotent))
      return reply;
    current_ = (current_ + 1) % urls_.size();
    std::cerr << "note: " << reply.error().message << "; trying " << server() << "\n";
    client_ = std::make_unique<net::HttpsClient>(urls_[current_], tls_);
  }
}

Result<net::ClientReply> Api::send(std::string_view method, const std::string& target,
                                   const std::string& body, std::chrono::milliseconds timeout,
                                   std::string_view accept, std::string_view content_type) {
  net::HttpsClient::Headers headers{{"Accept", std::string(accept)}};
  if (!body.empty())
    headers.emplace_back("Content-Type", std::string(content_type));
  if (!ctx_->access_token.empty())
    headers.emplace_back("Authorization", "Bearer " + ctx_->access_token);
  return exchange(method, target, body, headers, timeout);
}

Result<net::ClientReply> Api::send_signed_in(std::string_view method, const std::string& target,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout,
                                             std::string_view accept,
                                             std::string_view content_type) {
  RIS_TRY(auto reply, send(method, target, body, timeout, accept, content_type));
  if (reply.status == 401 && !ctx_->refresh_token.empty() &&
      api_error(reply.status, reply.body).type != "totp-required") {
    RIS_TRY_VOID(refresh());
    RIS_TRY(reply, send(method, target, body, timeout, accept, content_type));
  }
  return reply;
}

Result<void> Api::refresh() {
  if (ctx_->refresh_token.empty())
    return fail(Errc::unauthenticated, "the session has expired: run risctl login " + ctx_->server);
  const std::string body = json::serialize(json::object{{"refresh_token", ctx_->refresh_token}});
  RIS_TRY(auto reply, exchange("POST", "/api/v1/auth/refresh", body,
                               {{"Content-Type", "application/json"}}, std::chrono::seconds(30)));
  if (reply.status != 200)
    return fail(Errc::unauthenticated, "the session has ended (" +
                                           api_error(reply.status, reply.body).message +
                                           "): run risctl login " + ctx_->server);
  auto v = json::parse(reply.body).as_object();
  ctx_->access_token = str(v, "access_token");
  ctx_->refresh_token = str(v, "refresh_token");
  return save_config(path_, *config_);
}

Result<std::string> Api::access_token() {
  // A cheap authenticated call tells whether the token still works.
  RIS_TRY_VOID(call("GET", "/api/v1/me"));
  return ctx_->access_token;
}

Result<json::value> Api::call(std::string_view method, const std::string& target,
                              const std::optional<json::value>& body) {
  return call_with(method, target, body ? json::serialize(*body) : std::string(),
                   "application/json", std::chrono::seconds(30));
}

Result<json::value> Api::call_with(std::string_view method, const std::string& target,
                                   const std::string& payload, std::string_view content_type,
                                   std::chrono::milliseconds timeout) {
  RIS_TRY(auto reply,
          send_signed_in(method, target, payload, timeout, "application/json", content_type));
  if (reply.status >= 300) {
    last_error_ = api_error(reply.status, reply.body);
    return fail(errc_for(reply.status), last_error_.message);
  }
  last_error_ = {};
  if (reply.body.empty())
    return json::value();
  boost::system::error_code ec;
  auto v = json::parse(reply.body, ec);
  if (ec)
    return fail(Errc::unavailable, "the server answered with invalid JSON (" + ec.message() + ")");
  return v;
}

Result<net::ClientReply> Api::download(std::string_view method, const std::string& target,
                                       std::chrono::milliseconds timeout) {
  RIS_TRY(auto reply, send_signed_in(method, target, "", timeout,
                                     "application/octet-stream, application/problem+json"));
  if (reply.status >= 300) {
    last_error_ = api_error(reply.status, reply.body);
    return fail(errc_for(reply.status), last_error_.message);
  }
  last_error_ = {};
  return reply;
}

Result<std::string> Api::space_id(const std::string& name_or_id) {
  RIS_TRY(auto list, call("GET", "/api/v1/spaces"));
  std::vector<std::string> names;
  for (const auto& s : list.as_object().at("items").as_array()) {
    const auto& o = s.as_object();
    if (str(o, "id") == name_or_id || str(o, "name") == name_or_id)
      return str(o, "id");
    names.push_back(str(o, "name"));
  }
  std::string known;
  for (const auto& n : names)
    known += (known.empty() ? "" : ", ") + n;
  return fail(Errc::not_found,
              "no space \"" + name_or_id + "\" among yours" +
                  (known.empty() ? std::string(" (you are in none)") : " (" + known + ")"));
}

Result<std::string> Api::space_path() {
  std::string id = ctx_->space;
  if (!space_override_.empty()) {
    RIS_TRY(id, space_id(space_override_));
  }
  if (id.empty())
    return fail(Errc::invalid_argument,
                "no space chosen: pass --space NAME or run risctl context set-space NAME");
  return "/api/v1/spaces/" + id;
}

}  // namespace ris::cli
