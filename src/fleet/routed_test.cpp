#include "routed.hpp"

#include <gtest/gtest.h>

namespace ris::fleet {
namespace {

TEST(Routed, a_batch_survives_serialisation) {
  RoutedBatch b{"s0", {}};
  b.items.push_back(
      {.op = RoutedItem::Op::send_run, .agent_id = "a1", .run_id = "r1", .task_id = "t1"});
  b.items.push_back({.op = RoutedItem::Op::dispatch_pending, .agent_id = "a2"});
  b.items.push_back({.op = RoutedItem::Op::cancel, .agent_id = "a3", .run_id = "r3"});
  b.items.push_back({.op = RoutedItem::Op::refresh, .agent_id = "a4", .topic = "services"});
  b.items.push_back(
      {.op = RoutedItem::Op::disconnect, .agent_id = "a5", .code = 4403, .reason = "revoked"});
  auto back = parse_routed_batch(serialize(b));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->from, "s0");
  ASSERT_EQ(back->items.size(), 5u);
  EXPECT_EQ(back->items[0].op, RoutedItem::Op::send_run);
  EXPECT_EQ(back->items[0].task_id, "t1");
  EXPECT_EQ(back->items[2].run_id, "r3");
  EXPECT_EQ(back->items[3].topic, "services");
  EXPECT_EQ(back->items[4].code, 4403);
  EXPECT_EQ(back->items[4].reason, "revoked");
}

TEST(Routed, malformed_batches_are_refused_whole) {
  EXPECT_FALSE(parse_routed_batch("not json"));
  EXPECT_FALSE(parse_routed_batch(R"({"items":[]})"));  // no sender
  EXPECT_FALSE(parse_routed_batch(R"({"from":"s0","items":{}})"));
  EXPECT_FALSE(parse_routed_batch(R"({"from":"s0","items":[{"op":"explode","agent":"a"}]})"));
  EXPECT_FALSE(parse_routed_batch(R"({"from":"s0","items":[{"op":"send_run","agent":"a"}]})"));
  EXPECT_FALSE(parse_routed_batch(
      R"({"from":"s0","items":[{"op":"dispatch_pending","agent":"a"},{"op":"cancel","agent":"b"}]})"));
  EXPECT_FALSE(
      parse_routed_batch(R"({"from":"s0","items":[{"op":"disconnect","agent":"a","code":12}]})"));
  EXPECT_EQ(parse_routed_batch(std::string(kMaxRoutedBatchBytes + 1, ' ')).error().code,
            Errc::too_large);
}

}  // namespace
}  // namespace ris::fleet
