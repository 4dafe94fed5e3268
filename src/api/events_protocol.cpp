#include "events_protocol.hpp"

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <tuple>

namespace ris::api {

Result<ClientMessage> parse_client_message(std::string_view text) {
  boost::json::error_code ec;
  // Depth-limited: a frame of nested brackets must not cost stack.
  boost::json::parse_options opt;
  opt.max_depth = 16;
  auto v = boost::json::parse(text, ec, {}, opt);
  if (ec)
    return fail(Errc::invalid_argument, "frame is not valid JSON: " + ec.message());
  const auto* obj = v.if_object();
  if (!obj)
    return fail(Errc::invalid_argument, "frame must be a JSON object");
  ClientMessage m;
  if (auto* id = obj->if_contains("id")) {
    if (!id->is_string())
      return fail(Errc::invalid_argument, "\"id\" must be a string");
    if (id->as_string().size() > 128)
      return fail(Errc::invalid_argument, "\"id\" is longer than 128 characters");
    m.id = std::string(id->as_string());
  }
  const auto* type = obj->if_contains("type");
  if (!type || !type->is_string())
    return fail(Errc::invalid_argument, "frame needs a string \"type\"");
  m.type = std::string(type->as_string());
  for (auto [name, field] : {std::pair{"token", &m.token},
                             {"topic", &m.topic},
                             {"space", &m.space},
                             {"task", &m.task},
                             {"prefix", &m.prefix},
                             {"queue", &m.queue},
                             {"subscription", &m.subscription},
                             {"ack", &m.ack}}) {
    if (auto* v = obj->if_contains(name)) {
      if (!v->is_string() || v->as_string().size() > 8192)
        return fail(Errc::invalid_argument, "\"" + std::string(name) + "\" must be a string");
      *field = std::string(v->as_string());
    }
  }
  for (auto [name, field, lo, hi] :
       {std::tuple{"after_revision", &m.after_revision, int64_t{0}, INT64_MAX},
        std::tuple{"max_in_flight", &m.max_in_flight, int64_t{1}, int64_t{1000}}}) {
    if (auto* v = obj->if_contains(name)) {
      if (!v->is_int64() || v->as_int64() < lo || v->as_int64() > hi)
        return fail(Errc::invalid_argument, fmt::format("\"{}\" must be a whole number from {} "
                                                        "to {}",
                                                        name, lo, hi));
      *field = v->as_int64();
    }
  }
  return m;
}

std::string ack_frame(std::string_view type, std::string_view id) {
  boost::json::object o{{"type", type}};
  if (!id.empty())
    o["id"] = id;
  return boost::json::serialize(o);
}

std::string hello_frame(std::string_view version) {
  return boost::json::serialize(
      boost::json::object{{"type", "hello"}, {"protocol", "events/v1"}, {"version", version}});
}

std::string pong_frame(std::string_view id) {
  boost::json::object o{{"type", "pong"}};
  if (!id.empty())
    o["id"] = id;
  return boost::json::serialize(o);
}

std::string error_frame(std::string_view code, std::string_view message, std::string_view id) {
  boost::json::object o{{"type", "error"}, {"code", code}, {"message", message}};
  if (!id.empty())
    o["id"] = id;
  return boost::json::serialize(o);
}

}  // namespace ris::api
