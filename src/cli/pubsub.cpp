// risctl pub TOPIC MESSAGE and risctl sub TOPIC SUBSCRIPTION: publish one message (or standard
// input with -f -), and consume: pull, print, acknowledge, until Ctrl-C (or --limit messages).
#include <boost/json/serialize.hpp>
#include <iostream>
#include <iterator>
#include <thread>

#include "help.hpp"
#include "output.hpp"
#include "ris/core/base64.hpp"
#include "session.hpp"

namespace ris::cli {
namespace json = boost::json;

int cmd_pub(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() < 2 || (p.size() < 3 && !s.args.has("file")))
    return std::cerr << *command_help("pub"), 2;
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  const std::string body =
      s.args.has("file") ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : p[2];
  auto r = api.call_with("POST", space + "/topics/" + p[1] + "/messages", body,
                         s.args.has("json") ? "application/json" : "text/plain",
                         std::chrono::seconds(30));
  if (!r)
    return s.error(r.error().message);
  std::cout << "topic/" << p[1] << " seq " << text(r->as_object(), "seq") << "\n";
  return 0;
}

int cmd_sub(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() != 3)
    return std::cerr << *command_help("sub"), 2;
  auto limit = s.args.get_int("limit", 0, 0);
  if (!limit)
    return s.error(limit.error().message);
  auto opened = s.space_api();
  if (!opened)
    return s.error(opened.error().message);
  auto& [api, space] = *opened;
  const std::string base = space + "/topics/" + p[1] + "/subscriptions/" + p[2];
  int64_t seen = 0;
  while (!interrupted()) {
    // A long poll: answered at once when there are messages, else when one comes (or in 20 s).
    auto page = api.call_with("POST", base + "/pull?max=100&wait_seconds=20", "{}",
                              "application/json", std::chrono::seconds(40));
    if (!page)
      return s.error(page.error().message);
    const auto& messages = page->as_object().at("messages").as_array();
    for (const auto& item : messages) {
      const auto& m = item.as_object();
      std::string body = text(m, "body");
      if (const auto* b = m.if_contains("body_base64url"); b && b->is_string())
        body = base64url_decode(b->as_string()).value_or("");
      if (s.args.get("output") == "json")
        std::cout << json::serialize(m) << "\n";
      else
        std::cout << text(m, "seq") << " " << body << "\n";
      std::cout.flush();
      if (auto a =
              api.call("POST", base + "/ack?token=" + text(m, "ack"), json::value(json::object{}));
          !a)
        std::cerr << "warning: " << a.error().message << "\n";
      if (*limit > 0 && ++seen >= *limit)
        return 0;
    }
  }
  return 130;
}

}  // namespace ris::cli
