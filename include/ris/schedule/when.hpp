// When a schedule fires: a 5-field cron expression, a macro (@hourly, @daily …) or an interval
// (@every 30s), read in an IANA time zone (interval schedules ignore the zone: they are a fixed
// distance apart in real time, counted from their anchor).
//
// Cron follows Vixie cron, the reference users know: minute hour day-of-month month
// day-of-week; `*`, lists `a,b`, ranges `a-b`, steps `*/n` `a-b/n` `a/n`, month and weekday
// names (JAN…DEC, SUN…SAT), Sunday as 0 or 7; when both day fields are restricted a day
// matching either fires.
//
// Daylight-saving days (the policy the tests pin down):
//   * a local time that does not exist (the skipped hour in spring) fires once, at the first
//     instant after the gap — a 02:30 job runs at 03:00 that day, and the four fires of
//     `*/15 * * * *` inside the gap become one;
//   * a local time that happens twice (the repeated hour in autumn) fires once, at its first
//     occurrence — except for schedules whose hour field is `*`, which keep firing through the
//     second pass as well (they mean "every hour", and that hour happens twice).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"
#include "ris/core/time.hpp"

namespace date {
class time_zone;
}

namespace ris::schedule {

// An IANA time zone from the operating system's tz database (/usr/share/zoneinfo).
class Zone {
 public:
  static Zone utc();
  // Errc::invalid_argument for a name the database does not know.
  static Result<Zone> named(std::string_view name);
  const std::string& name() const { return name_; }
  const date::time_zone* tz() const { return tz_; }

 private:
  Zone(std::string name, const date::time_zone* tz) : name_(std::move(name)), tz_(tz) {}
  std::string name_;
  const date::time_zone* tz_;  // owned by the process-wide tz database
};

class When {
 public:
  // Errc::invalid_argument with what is wrong and where ("minute: 61 is out of range 0-59").
  static Result<When> parse(std::string_view expression);

  const std::string& expression() const { return expression_; }
  bool is_interval() const { return interval_.count() > 0; }
  std::chrono::milliseconds interval() const { return interval_; }

  // The first due instant strictly after `after`; `anchor` is where an interval schedule's
  // count starts (its creation). nullopt when none comes within 8 years (e.g. "0 0 30 2 *").
  std::optional<SystemTime> next_after(SystemTime after, const Zone& zone, SystemTime anchor) const;

 private:
  std::string expression_;
  std::chrono::milliseconds interval_{0};
  // Bit sets of the values each field accepts.
  uint64_t minutes_ = 0;
  uint32_t hours_ = 0, days_ = 0, months_ = 0;
  uint8_t weekdays_ = 0;
  bool any_hour_ = false, any_day_ = false, any_weekday_ = false;
};

// "30s", "5m", "1h30m", "2d" → milliseconds; Errc::invalid_argument otherwise. At least 1 s.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace ris::schedule
