#include "ris/core/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ris {
namespace {
TEST(Ids, are_uuid_v7_unique_and_time_ordered) {
  std::set<std::string> seen;
  std::string prev;
  for (int i = 0; i < 2000; ++i) {
    std::string id = new_id();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '7');
    EXPECT_TRUE(seen.insert(id).second);
    // The first 48 bits are milliseconds: never going backwards.
    if (!prev.empty()) {
      EXPECT_LE(prev.substr(0, 13), id.substr(0, 13));
    }
    prev = id;
  }
}
}  // namespace
}  // namespace ris

#include "ris/core/time.hpp"

namespace ris {
TEST(Rfc3339, parses_and_round_trips_utc_and_offsets) {
  auto t = parse_rfc3339("2026-11-23T10:30:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_rfc3339(*t), "2026-11-23T10:30:00.000Z");
  EXPECT_EQ(to_rfc3339(*parse_rfc3339("2026-11-23T12:30:00.25+02:00")), "2026-11-23T10:30:00.250Z");
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2026-11-23T10:30:00"));
}
}  // namespace ris
