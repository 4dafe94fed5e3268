// Structured logging: one JSON object per line on stderr, through spdlog's async logger.
//
//   log::info("server_started", {{"listen", "127.0.0.1:8057"}});
//
// Field values are Boost.JSON values, so they are escaped correctly. Secrets must never be
// passed here.
#pragma once
#include <boost/json/object.hpp>
#include <string_view>

namespace ris::log {
enum class Level { debug, info, warn, error };

// Parses "debug", "info", "warn", "error"; false on anything else.
bool parse_level(std::string_view text, Level& out);
// Sets up the process logger; safe to call again (tests). Flushes on error and at exit.
void init(Level level);
void flush();

void write(Level level, std::string_view event, boost::json::object fields = {});
inline void debug(std::string_view e, boost::json::object f = {}) {
  write(Level::debug, e, std::move(f));
}
inline void info(std::string_view e, boost::json::object f = {}) {
  write(Level::info, e, std::move(f));
}
inline void warn(std::string_view e, boost::json::object f = {}) {
  write(Level::warn, e, std::move(f));
}
inline void error(std::string_view e, boost::json::object f = {}) {
  write(Level::error, e, std::move(f));
}
bool enabled(Level level);
}  // namespace ris::log
