// risctl kv: get, put, delete, ls, history, touch and watch over the space's key-value store.
// A watch follows the change log from a revision and, when its server goes away, resumes from
// the last revision it printed on the next server of the context: nothing twice, nothing lost.
#include <boost/json/serialize.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include "help.hpp"
#include "output.hpp"
#include "ris/core/base64.hpp"
#include "ris/net/http.hpp"
#include "session.hpp"

namespace ris::cli {
namespace json = boost::json;

namespace {

std::string key_query(const std::string& key) {
  return "?key=" + net::percent_encode(key);
}

// The value of an entry or change as bytes (JSON as compact text).
std::string value_of(const json::object& o) {
  if (const auto* b = o.if_contains("value_base64url"); b && b->is_string())
    return base64url_decode(b->as_string()).value_or("");
  if (const auto* v = o.if_contains("value"))
    return v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
  return "";
}

Result<std::string> read_value(Session& s, const std::vector<std::string>& p) {
  if (s.args.has("file")) {
    const std::string path = s.args.get("file");
    if (path == "-")
      return std::string(std::istreambuf_iterator<char>(std::cin), {});
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return fail(Errc::not_found, "cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  if (p.size() < 4)
    return fail(Errc::invalid_argument, "give the value, or -f FILE (- for standard input)");
  return p[3];
}

int print(Session& s, const json::value& v) {
  const std::string format = s.args.get("output");
  if (format == "yaml")
    std::cout << to_yaml(v);
  else
    std::cout << to_pretty_json(v);
  return 0;
}

int watch(Session& s, Api& api, const std::string& space, const std::string& prefix) {
  auto from = s.args.get_int("from-revision", 0, 0);
  if (!from)
    return s.error(from.error().message);
  int64_t after = *from;
  if (!s.args.has("from-revision")) {
    // From now: asked for changes after a revision not reached yet, the server answers at once
    // with none and the revision it is at.
    auto head =
        api.call("GET", space + "/kv/changes?after_revision=" + std::to_string(INT64_MAX / 2));
    if (!head)
      return s.error(head.error().message);
    after = head->as_object().at("revision").to_number<int64_t>();
  }
  int failures = 0;
  while (!interrupted()) {
    auto page =
        api.call_with("GET",
                      space + "/kv/changes?wait_seconds=25&prefix=" + net::percent_encode(prefix) +
                          "&after_revision=" + std::to_string(after),
                      "", "application/json", std::chrono::seconds(40));
    if (!page) {
      if (api.last_error().status == 409 || api.last_error().status == 403 ||
          api.last_error().status == 404)
        return s.error(page.error().message);
      if (++failures > 30)
        return s.error(page.error().message);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;  // the server went away: the next call tries the context's other servers
    }
    failures = 0;
    const auto& o = page->as_object();
    for (const auto& item : o.at("items").as_array()) {
      const auto& c = item.as_object();
      if (s.args.get("output") == "json")
        std::cout << json::serialize(c) << "\n";
      else
        std::cout << text(c, "revision") << " " << text(c, "op") << " " << text(c, "key")
                  << (text(c, "op") == "put" ? " " + value_of(c) : "") << "\n";
    }
    std::cout.flush();
    after = o.at("revision").to_number<int64_t>();
  }
  return 130;
}

}  // namespace

int cmd_kv(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() < 2)
    return std::cerr << *command_help("kv"), 2;
  const std::string& verb = p[1];
  const std::string key = p.size() > 2 ? p[2] : "";
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  const std::string base = space + "/kv";
  auto need_key = [&]() { return key.empty() ? (std::cerr << *command_help("kv"), 2) : 0; };

  if (verb == "get") {
    if (int bad = need_key())
      return bad;
    auto e = api.call("GET", base + key_query(key));
    if (!e)
      return s.error(e.error().message);
    if (s.args.has("output"))
      return print(s, *e);
    std::cout << value_of(e->as_object());
    if (e->as_object().at("content_type") != "application/octet-stream")
      std::cout << "\n";
    return 0;
  }
  if (verb == "put") {
    if (int bad = need_key())
      return bad;
    auto value = read_value(s, p);
    if (!value)
      return s.error(value.error().message);
    std::string q = key_query(key);
    if (s.args.has("create-only"))
      q += "&create_only=true";
    if (s.args.has("expected-revision"))
      q += "&expected_revision=" + s.args.get("expected-revision");
    if (s.args.has("ttl"))
      q += "&ttl_seconds=" + s.args.get("ttl");
    const char* type = s.args.has("json")   ? "application/json"
                       : s.args.has("file") ? "application/octet-stream"
                                            : "text/plain";
    auto w = api.call_with("PUT", base + q, *value, type, std::chrono::seconds(30));
    if (!w)
      return s.error(w.error().message);
    std::cout << "key/" << key << " at revision " << text(w->as_object(), "mod_revision") << "\n";
    return 0;
  }
  if (verb == "delete" || verb == "del" || verb == "rm") {
    if (int bad = need_key())
      return bad;
    std::string q = key_query(key);
    if (s.args.has("expected-revision"))
      q += "&expected_revision=" + s.args.get("expected-revision");
    auto d = api.call("DELETE", base + q);
    if (!d)
      return s.error(d.error().message);
    std::cout << "key/" << key << " deleted at revision " << text(d->as_object(), "revision")
              << "\n";
    return 0;
  }
  if (verb == "touch") {
    if (int bad = need_key(); bad || !s.args.has("ttl"))
      return std::cerr << *command_help("kv"), 2;
    auto t =
        api.call("POST", base + "/touch" + key_query(key) + "&ttl_seconds=" + s.args.get("ttl"));
    if (!t)
      return s.error(t.error().message);
    std::cout << "key/" << key << " expires at " << text(t->as_object(), "expires_at") << "\n";
    return 0;
  }
  if (verb == "ls" || verb == "list") {
    auto page = api.call("GET", base + "?limit=1000&prefix=" + net::percent_encode(key));
    if (!page)
      return s.error(page.error().message);
    const auto& items = page->as_object().at("items").as_array();
    if (s.args.has("output"))
      return print(s, items);
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : items) {
      const auto& e = item.as_object();
      std::string v = value_of(e);
      if (v.size() > 40)
        v = v.substr(0, 37) + "...";
      rows.push_back(
          {text(e, "key"), text(e, "mod_revision"), text(e, "version"), text(e, "expires_at"), v});
    }
    std::cout << render_table({"key", "revision", "version", "expires", "value"}, rows);
    return 0;
  }
  if (verb == "history") {
    if (int bad = need_key())
      return bad;
    auto h = api.call("GET", base + "/history" + key_query(key));
    if (!h)
      return s.error(h.error().message);
    const auto& items = h->as_object().at("items").as_array();
    if (s.args.has("output"))
      return print(s, items);
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : items) {
      const auto& c = item.as_object();
      rows.push_back({text(c, "revision"), text(c, "op"), text(c, "at"), value_of(c)});
    }
    std::cout << render_table({"revision", "op", "at", "value"}, rows);
    return 0;
  }
  if (verb == "watch")
    return watch(s, api, space, key);
  return s.error("unknown kv command \"" + verb +
                 "\" (get, put, delete, ls, history, touch, watch)");
}

}  // namespace ris::cli
