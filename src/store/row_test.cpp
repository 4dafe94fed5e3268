#include <gtest/gtest.h>

#include "ris/store/store.hpp"

namespace ris::store {
namespace {

Row make_row() {
  auto columns = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"id", "score", "name", "data", "gone"});
  return Row(columns, {int64_t{42}, 2.5, std::string("7 dwarves"), Blob{{'h', 'i'}}, nullptr});
}

TEST(Row, reads_values_by_position_and_by_name) {
  const Row row = make_row();
  EXPECT_EQ(row.size(), 5u);
  EXPECT_EQ(row.get<int64_t>(0), 42);
  EXPECT_EQ(row.get<int64_t>("id"), 42);
  EXPECT_EQ(row.get<double>("score"), 2.5);
  EXPECT_EQ(row.get<std::string>(2), "7 dwarves");
  EXPECT_EQ(row.get<Blob>("data"), (Blob{{'h', 'i'}}));
  EXPECT_TRUE(row.is_null(4));
  EXPECT_TRUE(row.is_null("gone"));
  EXPECT_FALSE(row.is_null("id"));
  EXPECT_EQ(row.index_of("name"), 2u);
  EXPECT_EQ(row.index_of("nope"), std::nullopt);
}

TEST(Row, converts_between_storage_classes_as_sqlite_does) {
  const Row row = make_row();
  EXPECT_EQ(row.get<std::string>("id"), "42");
  EXPECT_EQ(row.get<int64_t>("score"), 2);
  EXPECT_EQ(row.get<int64_t>("name"), 7);
  EXPECT_EQ(row.get<std::string>("data"), "hi");
  EXPECT_TRUE(row.get<bool>("id"));
  EXPECT_EQ(row.get<int>("id"), 42);
  EXPECT_EQ(row.get<std::string>("score"), "2.5");
}

TEST(Row, null_reads_as_zero_or_empty_and_optional_tells_it_apart) {
  const Row row = make_row();
  EXPECT_EQ(row.get<int64_t>("gone"), 0);
  EXPECT_EQ(row.get<std::string>("gone"), "");
  EXPECT_TRUE(row.get<Blob>("gone").bytes.empty());
  EXPECT_EQ(row.get_optional<int64_t>("gone"), std::nullopt);
  EXPECT_EQ(row.get_optional<int64_t>("id"), 42);
}

}  // namespace
}  // namespace ris::store
