#include "ris/schedule/when.hpp"

#include <gtest/gtest.h>

namespace ris::schedule {
namespace {
using namespace std::chrono_literals;

SystemTime at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}

std::string next(std::string_view expr, const char* after, std::string_view zone = "UTC") {
  auto w = When::parse(expr);
  EXPECT_TRUE(w) << expr << ": " << w.error().message;
  auto z = Zone::named(zone);
  EXPECT_TRUE(z);
  auto n = w->next_after(at(after), *z, SystemTime{});
  return n ? to_rfc3339(*n) : "never";
}

// Fires from `after` on, `count` of them, as RFC 3339 UTC.
std::vector<std::string> fires(std::string_view expr, const char* after, std::string_view zone,
                               int count) {
  auto w = When::parse(expr);
  auto z = Zone::named(zone);
  std::vector<std::string> out;
  SystemTime t = at(after);
  for (int i = 0; i < count; ++i) {
    auto n = w->next_after(t, *z, SystemTime{});
    if (!n)
      break;
    out.push_back(to_rfc3339(*n));
    t = *n;
  }
  return out;
}

TEST(When, cron_fields_ranges_steps_and_names) {
  EXPECT_EQ(next("*/15 * * * *", "2026-03-01T10:07:00Z"), "2026-03-01T10:15:00.000Z");
  EXPECT_EQ(next("0 9-17/4 * * *", "2026-03-01T10:00:00Z"), "2026-03-01T13:00:00.000Z");
  EXPECT_EQ(next("30 2 * JAN,jul *", "2026-03-01T00:00:00Z"), "2026-07-01T02:30:00.000Z");
  EXPECT_EQ(next("0 0 * * MON-FRI", "2026-03-07T12:00:00Z"),
            "2026-03-09T00:00:00.000Z");                                             // Sat→Mon
  EXPECT_EQ(next("0 0 * * 7", "2026-03-02T00:00:00Z"), "2026-03-08T00:00:00.000Z");  // 7 = Sunday
  EXPECT_EQ(next("5/20 * * * *", "2026-03-01T10:06:00Z"), "2026-03-01T10:25:00.000Z");
}

TEST(When, strictly_after_the_instant_given) {
  EXPECT_EQ(next("0 * * * *", "2026-03-01T10:00:00Z"), "2026-03-01T11:00:00.000Z");
  EXPECT_EQ(next("0 * * * *", "2026-03-01T09:59:59.999Z"), "2026-03-01T10:00:00.000Z");
}

TEST(When, both_day_fields_restricted_means_either) {
  // Vixie cron: the 13th, or any Friday.
  EXPECT_EQ(next("0 0 13 * 5", "2026-03-01T00:00:00Z"), "2026-03-06T00:00:00.000Z");
  EXPECT_EQ(next("0 0 13 * 5", "2026-03-10T00:00:00Z"), "2026-03-13T00:00:00.000Z");
  // A day-of-week step starts with * and so restricts together with the day of month.
  EXPECT_EQ(next("0 0 13 * */5", "2026-03-01T00:00:00Z"), "2026-03-13T00:00:00.000Z");
}

TEST(When, macros_and_leap_days) {
  EXPECT_EQ(next("@hourly", "2026-03-01T10:30:00Z"), "2026-03-01T11:00:00.000Z");
  EXPECT_EQ(next("@daily", "2026-03-01T10:30:00Z"), "2026-03-02T00:00:00.000Z");
  EXPECT_EQ(next("@weekly", "2026-03-01T10:30:00Z"), "2026-03-08T00:00:00.000Z");
  EXPECT_EQ(next("@monthly", "2026-03-01T10:30:00Z"), "2026-04-01T00:00:00.000Z");
  EXPECT_EQ(next("@yearly", "2026-03-01T10:30:00Z"), "2027-01-01T00:00:00.000Z");
  EXPECT_EQ(next("0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00.000Z");
}

TEST(When, every_counts_from_its_anchor) {
  auto w = When::parse("@every 1m30s");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->interval(), 90s);
  const SystemTime anchor = at("2026-03-01T10:00:10Z");
  EXPECT_EQ(to_rfc3339(*w->next_after(at("2026-03-01T09:00:00Z"), Zone::utc(), anchor)),
            "2026-03-01T10:00:10.000Z");
  EXPECT_EQ(to_rfc3339(*w->next_after(anchor, Zone::utc(), anchor)), "2026-03-01T10:01:40.000Z");
  EXPECT_EQ(to_rfc3339(*w->next_after(at("2026-03-01T10:03:00Z"), Zone::utc(), anchor)),
            "2026-03-01T10:03:10.000Z");
}

TEST(When, local_time_in_a_zone) {
  // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
  EXPECT_EQ(next("0 9 * * *", "2026-01-10T12:00:00Z", "Europe/Paris"), "2026-01-11T08:00:00.000Z");
  EXPECT_EQ(next("0 9 * * *", "2026-07-10T12:00:00Z", "Europe/Paris"), "2026-07-11T07:00:00.000Z");
}

// Europe/Paris, 2026-03-29: 02:00 local jumps to 03:00 (01:00 UTC).
TEST(When, a_skipped_hour_fires_once_after_the_gap) {
  EXPECT_EQ(fires("30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Paris", 2),
            (std::vector<std::string>{"2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"}));
  // Four quarter-hours inside the gap become one fire at 03:00 local.
  EXPECT_EQ(fires("*/15 * * * *", "2026-03-29T00:40:00Z", "Europe/Paris", 3),
            (std::vector<std::string>{"2026-03-29T00:45:00.000Z", "2026-03-29T01:00:00.000Z",
                                      "2026-03-29T01:15:00.000Z"}));
}

// Europe/Paris, 2026-10-25: 03:00 local goes back to 02:00 (01:00 UTC), so 02:xx happens twice.
TEST(When, a_repeated_hour_fires_once_unless_the_schedule_runs_every_hour) {
  EXPECT_EQ(fires("30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Paris", 2),
            (std::vector<std::string>{"2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"}));
  EXPECT_EQ(fires("30 * * * *", "2026-10-24T23:00:00Z", "Europe/Paris", 4),
            (std::vector<std::string>{"2026-10-24T23:30:00.000Z", "2026-10-25T00:30:00.000Z",
                                      "2026-10-25T01:30:00.000Z", "2026-10-25T02:30:00.000Z"}));
}

TEST(When, bad_expressions_say_what_is_wrong) {
  auto message = [](std::string_view e) {
    auto w = When::parse(e);
    return w ? std::string("accepted") : w.error().message;
  };
  EXPECT_EQ(message("61 * * * *"), "minute: 61 is out of range 0-59");
  EXPECT_EQ(message("* * * *"),
            "a cron expression has 5 fields (minute hour day-of-month month day-of-week); "
            "\"* * * *\" has 4");
  EXPECT_EQ(message("* * * FOO *"), "month: \"FOO\" is not a number or a name");
  EXPECT_EQ(message("*/0 * * * *"), "minute: step \"0\" must be a positive number");
  EXPECT_EQ(message("5-1 * * * *"), "minute: range \"5-1\" runs backwards");
  EXPECT_EQ(message("0 0 30 2 *"), "\"0 0 30 2 *\" never fires (no such day in any month)");
  EXPECT_EQ(message("@every 500ms"), "\"500ms\" is not a duration (such as 30s, 5m, 1h30m, 2d)");
  EXPECT_EQ(message("@every 0s"), "\"0s\": the shortest interval is 1s");
  EXPECT_EQ(message("@fortnightly"),
            "unknown schedule \"@fortnightly\" (@hourly, @daily, @midnight, @weekly, @monthly, "
            "@yearly, @annually, @every DURATION)");
  EXPECT_FALSE(Zone::named("Mars/Olympus"));
  EXPECT_EQ(Zone::named("Mars/Olympus").error().message,
            "unknown time zone \"Mars/Olympus\" (an IANA name such as Europe/Paris)");
}

}  // namespace
}  // namespace ris::schedule
