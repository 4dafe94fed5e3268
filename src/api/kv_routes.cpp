// The key-value store over the API. Keys travel in the query (?key=config/app/port: a key may
// hold '/'); values travel raw in PUT bodies (up to 1 MiB, Content-Type kept) and come back as
// JSON (a JSON value as is, text as a string, other bytes as base64url) or raw with ?raw=true.
// A watch is a long poll of the change log: GET …/kv/changes?after_revision=N&wait_seconds=30
// answers as soon as a change after N exists (or empty at the deadline), never holding a worker
// thread while it waits. Handlers parse and answer; src/kv decides.
#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include <charconv>

#include "endpoint.hpp"
#include "feed_json.hpp"
#include "ris/core/base64.hpp"
#include "ris/kv/kv.hpp"

namespace ris::api {
namespace {
void put_value(boost::json::object& o, const std::string& value, const std::string& content_type);
}  // namespace

boost::json::object kv_change_json(const kv::Change& c) {
  boost::json::object o{{"revision", c.revision}, {"key", c.key}, {"op", c.op}, {"at", c.at}};
  if (c.value)
    put_value(o, *c.value, c.content_type.value_or(""));
  return o;
}

namespace {
namespace json = boost::json;

Result<std::string> key_param(const net::Request& req) {
  const std::string_view key = req.query_param("key");
  if (key.empty())
    return fail(Errc::invalid_argument, "give the key: ?key=NAME");
  return std::string(key);
}

void put_value(json::object& o, const std::string& value, const std::string& content_type) {
  if (content_type == "application/json") {
    boost::json::error_code ec;
    auto v = json::parse(value, ec);
    if (!ec) {
      o["value"] = std::move(v);
      return;
    }
  }
  if (content_type.starts_with("text/"))
    o["value"] = value;
  else
    o["value_base64url"] = base64url_encode(value);
}

json::object entry_json(const kv::Entry& e) {
  json::object o{{"key", e.key},
                 {"content_type", e.content_type},
                 {"create_revision", e.create_revision},
                 {"mod_revision", e.mod_revision},
                 {"version", e.version}};
  put_value(o, e.value, e.content_type);
  if (e.expires_at)
    o["expires_at"] = *e.expires_at;
  return o;
}

Result<net::Response> get_kv(Call& c) {
  RIS_TRY(auto access, space_access(c));
  if (const auto key = c.req.query_param("key"); !key.empty()) {
    RIS_TRY(auto e, c.ctx.kv->get(access, key));
    if (c.req.query_param("raw") == "true") {
      net::Response r;
      r.content_type = e.content_type;
      r.body = std::move(e.value);
      r.headers.emplace_back("X-RIS-Revision", std::to_string(e.mod_revision));
      return r;
    }
    return net::json_response(200, entry_json(e));
  }
  RIS_TRY(auto limit, int_param(c.req, "limit", 1, 1000));
  RIS_TRY(auto list, c.ctx.kv->list(access, c.req.query_param("prefix"), c.req.query_param("after"),
                                    static_cast<int>(limit.value_or(100))));
  json::array items;
  for (const auto& e : list.items)
    items.push_back(entry_json(e));
  json::object out{{"items", std::move(items)}, {"revision", list.revision}};
  if (static_cast<int64_t>(list.items.size()) == limit.value_or(100))
    out["next_after"] = list.items.back().key;
  return net::json_response(200, std::move(out));
}

Result<net::Response> put_kv(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto key, key_param(c.req));
  kv::PutOptions options;
  options.create_only = c.req.query_param("create_only") == "true";
  RIS_TRY(options.expected_revision, int_param(c.req, "expected_revision", 0, INT64_MAX));
  RIS_TRY(options.ttl_seconds, int_param(c.req, "ttl_seconds", 1, 365 * 86400));
  c.target = key;
  c.audit_details = {{"bytes", c.req.body.size()}, {"create_only", options.create_only}};
  RIS_TRY(auto w, c.ctx.kv->put(access, key, c.req.body, std::string(c.req.header("content-type")),
                                options));
  auto o = entry_json(w.entry);
  o["revision"] = w.revision;
  return net::json_response(200, std::move(o));
}

Result<net::Response> delete_kv(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto key, key_param(c.req));
  RIS_TRY(auto expected, int_param(c.req, "expected_revision", 0, INT64_MAX));
  c.target = key;
  RIS_TRY(auto revision, c.ctx.kv->remove(access, key, expected));
  return net::json_response(200, json::object{{"key", key}, {"revision", revision}});
}

Result<net::Response> touch_kv(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto key, key_param(c.req));
  RIS_TRY(auto ttl, int_param(c.req, "ttl_seconds", 1, 365 * 86400));
  if (!ttl)
    return fail(Errc::invalid_argument, "give ?ttl_seconds=N");
  c.target = key;
  RIS_TRY(auto e, c.ctx.kv->touch(access, key, *ttl));
  return net::json_response(200, entry_json(e));
}

Result<net::Response> kv_history(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto key, key_param(c.req));
  RIS_TRY(auto limit, int_param(c.req, "limit", 1, 1000));
  RIS_TRY(auto changes, c.ctx.kv->history(access, key, static_cast<int>(limit.value_or(50))));
  json::array items;
  for (const auto& ch : changes)
    items.push_back(kv_change_json(ch));
  return net::json_response(200, json::object{{"items", std::move(items)}});
}

// A watch in progress: read again whenever the space may have changed, until there is
// something to say or the deadline passed. `read` is the caller's view of the change log (a
// member's, checked by role; an agent's, config/ only).
struct Watch : std::enable_shared_from_this<Watch> {
  ApiContext& ctx;
  std::string space_id;
  std::function<Result<kv::ChangesPage>(int64_t after)> read;
  int64_t after = 0;
  std::chrono::steady_clock::time_point deadline;
  net::Reply reply;

  Watch(ApiContext& c, net::Reply done) : ctx(c), reply(std::move(done)) {}

  void poll() {
    auto page = read(after);
    if (!page)
      return reply(net::problem(page.error()));
    if (page->items.empty() && std::chrono::steady_clock::now() < deadline) {
      auto self = shared_from_this();
      return ctx.kv->wait_for_change(space_id,
                                     [self] { self->ctx.blocking.post([self] { self->poll(); }); });
    }
    json::array items;
    for (const auto& ch : page->items)
      items.push_back(kv_change_json(ch));
    reply(net::json_response(
        200, json::object{{"items", std::move(items)}, {"revision", page->revision}}));
  }
};

// The watch's parameters from the query: after_revision and wait_seconds (the caller sets
// space_id and read).
Result<std::shared_ptr<Watch>> watch_of(ApiContext& ctx, const net::Request& req,
                                        net::Reply reply) {
  RIS_TRY(auto after, int_param(req, "after_revision", 0, INT64_MAX));
  RIS_TRY(auto wait, int_param(req, "wait_seconds", 0, 60));
  auto w = std::make_shared<Watch>(ctx, std::move(reply));
  w->after = after.value_or(0);
  w->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait.value_or(0));
  return w;
}

void watch_kv(ApiContext& ctx, net::Request& request, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(request), reply = std::move(reply)]() mutable {
    auto principal = authenticate(ctx, req);
    if (!principal)
      return reply(unauthenticated_problem(req, principal.error()));
    Call call{ctx, req, std::move(*principal), {}, {}, {}};
    auto access = space_access(call);
    if (!access)
      return reply(net::problem(access.error()));
    auto limit = int_param(req, "limit", 1, 1000);
    auto w = watch_of(ctx, req, reply);
    if (!w || !limit)
      return reply(net::problem(!w ? w.error() : limit.error()));
    (*w)->space_id = access->space_id;
    (*w)->read = [&ctx, access = std::move(*access),
                  prefix = std::string(req.query_param("prefix")),
                  limit = static_cast<int>(limit->value_or(1000))](int64_t after) {
      return ctx.kv->changes(access, prefix, after, limit);
    };
    (*w)->poll();
  });
}

// Agents, with their client certificate: the keys under config/ of their space.
void agent_get_kv(ApiContext& ctx, net::Request& request, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(request), reply = std::move(reply)]() mutable {
    auto space = agent_space(ctx, req);
    if (!space)
      return reply(net::problem(space.error()));
    auto key = key_param(req);
    if (!key)
      return reply(net::problem(key.error()));
    auto e = ctx.kv->get_for_agent(*space, *key);
    if (!e)
      return reply(net::problem(e.error()));
    reply(net::json_response(200, entry_json(*e)));
  });
}

void agent_watch_kv(ApiContext& ctx, net::Request& request, net::Reply reply) {
  ctx.blocking.post([&ctx, req = std::move(request), reply = std::move(reply)]() mutable {
    auto space = agent_space(ctx, req);
    if (!space)
      return reply(net::problem(space.error()));
    auto limit = int_param(req, "limit", 1, 1000);
    auto w = watch_of(ctx, req, reply);
    if (!w || !limit)
      return reply(net::problem(!w ? w.error() : limit.error()));
    (*w)->space_id = *space;
    (*w)->read = [&ctx, space = *space, prefix = std::string(req.query_param("prefix")),
                  limit = static_cast<int>(limit->value_or(1000))](int64_t after) {
      return ctx.kv->changes_for_agent(space, prefix, after, limit);
    };
    (*w)->poll();
  });
}

}  // namespace

void register_kv_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.kv)
    return;
  const std::string s = "/api/v1/spaces/{space}/kv";
  router.add("GET", s, endpoint(ctx, "kv.get", get_kv));
  router.add("PUT", s, endpoint(ctx, "kv.put", put_kv));  // a value fits the 1 MiB body limit
  router.add("DELETE", s, endpoint(ctx, "kv.delete", delete_kv));
  router.add("POST", s + "/touch", endpoint(ctx, "kv.touch", touch_kv, Audit::refusals));
  router.add("GET", s + "/history", endpoint(ctx, "kv.history", kv_history));
  router.add("GET", s + "/changes",
             [&ctx](net::Request& req, net::Reply reply) { watch_kv(ctx, req, std::move(reply)); });
  router.add("GET", "/agent/v1/kv", [&ctx](net::Request& req, net::Reply reply) {
    agent_get_kv(ctx, req, std::move(reply));
  });
  router.add("GET", "/agent/v1/kv/changes", [&ctx](net::Request& req, net::Reply reply) {
    agent_watch_kv(ctx, req, std::move(reply));
  });
}

}  // namespace ris::api
