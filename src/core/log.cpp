#include "ris/core/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include "ris/core/time.hpp"

namespace ris::log {
namespace {
spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}
std::string_view level_name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}
std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l;
  return l;
}
}  // namespace

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void init(Level level) {
  if (!logger()) {
    // Async: an I/O thread never waits on the terminal. Blocking when the queue is full loses
    // no line; the queue is large enough that this only happens when stderr itself is stuck.
    spdlog::init_thread_pool(8192, 1);
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    logger() = std::make_shared<spdlog::async_logger>("ris", sink, spdlog::thread_pool(),
                                                      spdlog::async_overflow_policy::block);
    logger()->set_pattern("%v");  // we write whole JSON lines ourselves
    logger()->flush_on(spdlog::level::err);
    spdlog::register_logger(logger());
  }
  logger()->set_level(to_spd(level));
}

void flush() {
  if (logger())
    logger()->flush();
}

bool enabled(Level level) {
  return logger() && logger()->should_log(to_spd(level));
}

void write(Level level, std::string_view event, boost::json::object fields) {
  if (!enabled(level))
    return;
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["ts"] = now_rfc3339();
  line["level"] = level_name(level);
  line["event"] = event;
  for (auto& kv : fields)
    line[kv.key()] = std::move(kv.value());
  logger()->log(to_spd(level), "{}", boost::json::serialize(line));
}
}  // namespace ris::log
