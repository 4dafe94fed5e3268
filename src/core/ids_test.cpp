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
