#include "ris/core/time.hpp"

#include <fmt/format.h>
#include <ctime>

namespace ris {
std::string to_rfc3339(SystemTime t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

std::optional<SystemTime> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  if (text.size() < 20 || text.size() > 40)
    return std::nullopt;
  auto digits = [&](size_t pos, size_t n) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9')
        return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const int year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
            minute = digits(14, 2), second = digits(17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 60 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  size_t pos = 19;
  milliseconds fraction{0};
  if (text[pos] == '.') {
    int scale = 100;
    ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += milliseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start)
      return std::nullopt;
  }
  minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    const int oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59)
      return std::nullopt;
    offset = minutes(oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  const year_month_day ymd{std::chrono::year(year),
                           std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok())
    return std::nullopt;
  return SystemTime(sys_days(ymd).time_since_epoch()) + hours(hour) + minutes(minute) +
         seconds(second) + fraction - offset;
}
}  // namespace ris
