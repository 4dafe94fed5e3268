#include "ris/schedule/when.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <span>
#include <vector>

namespace ris::schedule {
namespace {
using namespace std::chrono;
using LocalMinutes = date::local_time<minutes>;

constexpr std::array<std::string_view, 12> kMonthNames{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 8> kWeekdayNames{"sun", "mon", "tue", "wed",
                                                        "thu", "fri", "sat", "sun"};
// How far apart in local time two instants can be whose real-time order is the reverse: the
// largest daylight-saving shift any zone has used is 2 h.
constexpr auto kShift = hours{3};
constexpr auto kHorizon = date::days{366 * 8};

struct Field {
  std::string_view what;
  int lo, hi;
  std::span<const std::string_view> names;  // names[i] is value lo + i
};

Result<int> value_of(std::string_view text, const Field& f) {
  std::string lower;
  for (char c : text)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < f.names.size(); ++i)
    if (lower == f.names[i])
      return f.lo + static_cast<int>(i);
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return fail(Errc::invalid_argument, fmt::format("{}: \"{}\" is not a number{}", f.what, text,
                                                    f.names.empty() ? "" : " or a name"));
  if (v < f.lo || v > f.hi)
    return fail(Errc::invalid_argument,
                fmt::format("{}: {} is out of range {}-{}", f.what, v, f.lo, f.hi));
  return v;
}

// One field's accepted values as a bit set (bit v for value v).
Result<uint64_t> parse_field(std::string_view text, const Field& f) {
  uint64_t bits = 0;
  size_t from = 0;
  for (;;) {
    const size_t comma = text.find(',', from);
    std::string_view item =
        text.substr(from, comma == std::string_view::npos ? text.npos : comma - from);
    if (item.empty())
      return fail(Errc::invalid_argument,
                  fmt::format("{}: empty list item in \"{}\"", f.what, text));
    int step = 1;
    bool stepped = false;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      const std::string_view s = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty() || step < 1)
        return fail(Errc::invalid_argument,
                    fmt::format("{}: step \"{}\" must be a positive number", f.what, s));
      item = item.substr(0, slash);
      stepped = true;
    }
    int first = f.lo, last = f.hi;
    if (item != "*") {
      const size_t dash = item.find('-');
      RIS_TRY(first, value_of(item.substr(0, dash), f));
      if (dash != std::string_view::npos) {
        RIS_TRY(last, value_of(item.substr(dash + 1), f));
        if (last < first)
          return fail(Errc::invalid_argument,
                      fmt::format("{}: range \"{}\" runs backwards", f.what, item));
      } else if (!stepped) {
        last = first;  // "5" alone; "5/10" means 5 to the end, every 10
      }
    }
    for (int v = first; v <= last; v += step)
      bits |= uint64_t{1} << v;
    if (comma == std::string_view::npos)
      return bits;
    from = comma + 1;
  }
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
      ++i;
    const size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])))
      ++i;
    if (i > start)
      out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::string_view macro(std::string_view name) {
  if (name == "@yearly" || name == "@annually")
    return "0 0 1 1 *";
  if (name == "@monthly")
    return "0 0 1 * *";
  if (name == "@weekly")
    return "0 0 * * 0";
  if (name == "@daily" || name == "@midnight")
    return "0 0 * * *";
  if (name == "@hourly")
    return "0 * * * *";
  return {};
}

}  // namespace

Zone Zone::utc() {
  return Zone("UTC", nullptr);
}

Result<Zone> Zone::named(std::string_view name) {
  if (name.empty() || name == "UTC")
    return utc();
  try {
    return Zone(std::string(name), date::locate_zone(name));
  } catch (const std::exception&) {
    return fail(Errc::invalid_argument,
                fmt::format("unknown time zone \"{}\" (an IANA name such as Europe/Paris)", name));
  }
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const Failure bad =
      fail(Errc::invalid_argument,
           fmt::format("\"{}\" is not a duration (such as 30s, 5m, 1h30m, 2d)", text));
  if (text.empty())
    return bad;
  milliseconds total{0};
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || end == text.data() + text.size() || n < 0 || n > 1'000'000)
      return bad;
    i = static_cast<size_t>(end - text.data());
    switch (text[i++]) {
      case 's':
        total += seconds{n};
        break;
      case 'm':
        total += minutes{n};
        break;
      case 'h':
        total += hours{n};
        break;
      case 'd':
        total += date::days{n};
        break;
      default:
        return bad;
    }
  }
  if (total < seconds{1})
    return fail(Errc::invalid_argument, fmt::format("\"{}\": the shortest interval is 1s", text));
  if (total > date::days{366})
    return fail(Errc::invalid_argument, fmt::format("\"{}\": the longest interval is 366d", text));
  return total;
}

Result<When> When::parse(std::string_view expression) {
  When w;
  w.expression_ = std::string(expression);
  auto words = split_spaces(expression);
  if (words.empty())
    return fail(Errc::invalid_argument,
                "the schedule is empty: give a cron expression, "
                "@hourly/@daily/@weekly/@monthly/@yearly or @every 30s");
  if (words[0] == "@every") {
    if (words.size() != 2)
      return fail(Errc::invalid_argument, "@every takes one duration, such as @every 30s");
    RIS_TRY(w.interval_, parse_duration(words[1]));
    return w;
  }
  if (words[0].starts_with('@')) {
    const std::string_view expanded = macro(words[0]);
    if (expanded.empty() || words.size() != 1)
      return fail(Errc::invalid_argument,
                  fmt::format("unknown schedule \"{}\" (@hourly, @daily, @midnight, @weekly, "
                              "@monthly, @yearly, @annually, @every DURATION)",
                              expression));
    words = split_spaces(expanded);
  }
  if (words.size() != 5)
    return fail(Errc::invalid_argument,
                fmt::format("a cron expression has 5 fields (minute hour day-of-month month "
                            "day-of-week); \"{}\" has {}",
                            expression, words.size()));
  RIS_TRY(w.minutes_, parse_field(words[0], {"minute", 0, 59, {}}));
  RIS_TRY(auto hours, parse_field(words[1], {"hour", 0, 23, {}}));
  RIS_TRY(auto days, parse_field(words[2], {"day of month", 1, 31, {}}));
  RIS_TRY(auto months, parse_field(words[3], {"month", 1, 12, kMonthNames}));
  RIS_TRY(auto weekdays, parse_field(words[4], {"day of week", 0, 7, kWeekdayNames}));
  w.hours_ = static_cast<uint32_t>(hours);
  w.days_ = static_cast<uint32_t>(days);
  w.months_ = static_cast<uint32_t>(months);
  w.weekdays_ = static_cast<uint8_t>((weekdays | (weekdays >> 7)) & 0x7f);  // 7 is Sunday too
  w.any_hour_ = words[1] == "*";
  w.any_day_ = words[2].starts_with('*');
  w.any_weekday_ = words[4].starts_with('*');
  if (!w.next_after(SystemTime{}, Zone::utc(), SystemTime{}))
    return fail(Errc::invalid_argument,
                fmt::format("\"{}\" never fires (no such day in any month)", expression));
  return w;
}

std::optional<SystemTime> When::next_after(SystemTime after, const Zone& zone,
                                           SystemTime anchor) const {
  if (is_interval()) {
    if (after < anchor)
      return anchor;
    return anchor + ((after - anchor) / interval_ + 1) * interval_;
  }
  const date::time_zone* tz = zone.tz();
  const auto after_s = floor<seconds>(after);
  const LocalMinutes start =
      floor<minutes>(tz ? tz->to_local(after_s) : date::local_seconds{after_s.time_since_epoch()}) -
      kShift;
  const date::local_days last_day = floor<date::days>(start) + kHorizon;

  // The first local minute at or after `from` that the fields accept.
  auto next_match = [&](LocalMinutes from) -> std::optional<LocalMinutes> {
    for (auto day = floor<date::days>(from); day <= last_day; day += date::days{1}) {
      const date::year_month_day ymd{day};
      if (!(months_ >> unsigned(ymd.month()) & 1))
        continue;
      const bool dom = days_ >> unsigned(ymd.day()) & 1;
      const bool dow = weekdays_ >> date::weekday{day}.c_encoding() & 1;
      if (!((any_day_ || any_weekday_) ? dom && dow : dom || dow))
        continue;
      const auto into = from > LocalMinutes{day} ? from - LocalMinutes{day} : minutes{0};
      for (auto h = floor<hours>(into).count(); h < 24; ++h) {
        if (!(hours_ >> h & 1))
          continue;
        const int64_t m0 = h == floor<hours>(into).count() ? (into % hours{1}).count() : 0;
        for (int64_t m = m0; m < 60; ++m)
          if (minutes_ >> m & 1)
            return LocalMinutes{day} + hours{h} + minutes{m};
      }
    }
    return std::nullopt;
  };
  // The instants a local minute stands for (see the header for the daylight-saving policy).
  auto instants = [&](LocalMinutes lm, std::array<SystemTime, 2>& out) -> size_t {
    const date::local_seconds ls{lm};
    if (!tz) {
      out[0] = SystemTime{ls.time_since_epoch()};
      return 1;
    }
    const date::local_info info = tz->get_info(ls);
    switch (info.result) {
      case date::local_info::unique:
        out[0] = SystemTime{ls.time_since_epoch() - info.first.offset};
        return 1;
      case date::local_info::nonexistent:
        out[0] = SystemTime{info.second.begin.time_since_epoch()};
        return 1;
      default:
        out[0] = SystemTime{ls.time_since_epoch() - info.first.offset};
        out[1] = SystemTime{ls.time_since_epoch() - info.second.offset};
        return any_hour_ ? 2 : 1;
    }
  };

  std::optional<SystemTime> best;
  LocalMinutes best_local{};
  std::array<SystemTime, 2> at;
  for (auto lm = next_match(start); lm; lm = next_match(*lm + minutes{1})) {
    if (best && *lm > best_local + kShift)
      break;
    for (size_t i = 0, n = instants(*lm, at); i < n; ++i)
      if (at[i] > after && (!best || at[i] < *best)) {
        best = at[i];
        best_local = *lm;
      }
  }
  return best;
}

}  // namespace ris::schedule
