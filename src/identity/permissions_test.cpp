// The permission engine's truth table: each row is a situation a user would recognise and
// the answer they should get.
#include "ris/identity/permissions.hpp"

#include <gtest/gtest.h>

namespace ris::identity {
namespace {

const Role kEveryone{"space", 0, kViewChannel | kSendMessages | kViewAgents};
const Role kMod{"mod", 5, kKickMembers | kManageRoles};
const Role kOps{"ops", 3, kRunTasks};
const Role kAdmin{"admin", 8, kAdministrator};
const Role kMuted{"muted", 1, 0};
const std::vector<Role> kRoles{kMod, kOps, kAdmin, kMuted};

Member member(std::vector<std::string> roles, bool owner = false) {
  return {"alice", std::move(roles), owner};
}
Overwrite role_ow(std::string id, Permissions allow, Permissions deny) {
  return {Overwrite::Kind::role, std::move(id), allow, deny};
}
Overwrite member_ow(Permissions allow, Permissions deny) {
  return {Overwrite::Kind::member, "alice", allow, deny};
}

struct Row {
  const char* name;
  Member who;
  std::vector<Overwrite> overwrites;
  Permissions asked;
  bool allowed;
};

class TruthTable : public ::testing::TestWithParam<Row> {};

TEST_P(TruthTable, answers_as_discord_does) {
  const Row& row = GetParam();
  const Permissions p = resource_permissions(row.who, kEveryone, kRoles, row.overwrites);
  EXPECT_EQ((p & row.asked) == row.asked, row.allowed) << row.name;
}

INSTANTIATE_TEST_SUITE_P(
    Engine, TruthTable,
    ::testing::Values(
        Row{"no_roles_gets_everyone", member({}), {}, kSendMessages, true},
        Row{"no_roles_lacks_role_bits", member({}), {}, kRunTasks, false},
        Row{"role_adds_bits", member({"ops"}), {}, kRunTasks, true},
        Row{"owner_has_everything", member({}, true), {}, kManageSpace | kRunTasks, true},
        Row{"owner_ignores_denies",
            member({}, true),
            {role_ow("space", 0, kSendMessages), member_ow(0, kSendMessages)},
            kSendMessages,
            true},
        Row{"administrator_has_everything", member({"admin"}), {}, kBanMembers | kDeploy, true},
        Row{"administrator_ignores_member_deny",
            member({"admin"}),
            {member_ow(0, kViewChannel)},
            kViewChannel,
            true},
        Row{"everyone_deny_applies",
            member({}),
            {role_ow("space", 0, kSendMessages)},
            kSendMessages,
            false},
        Row{"everyone_deny_with_role_allow_is_allowed",
            member({"muted"}),
            {role_ow("space", 0, kSendMessages), role_ow("muted", kSendMessages, 0)},
            kSendMessages,
            true},
        Row{"role_deny_applies",
            member({"muted"}),
            {role_ow("muted", 0, kSendMessages)},
            kSendMessages,
            false},
        Row{"role_allow_beats_other_role_deny",
            member({"muted", "ops"}),
            {role_ow("muted", 0, kSendMessages), role_ow("ops", kSendMessages, 0)},
            kSendMessages,
            true},
        Row{"overwrite_of_unheld_role_is_ignored",
            member({}),
            {role_ow("ops", kRunTasks, 0)},
            kRunTasks,
            false},
        Row{"member_allow_beats_role_deny",
            member({"muted"}),
            {role_ow("muted", 0, kSendMessages), member_ow(kSendMessages, 0)},
            kSendMessages,
            true},
        Row{"member_deny_beats_role_allow",
            member({"ops"}),
            {role_ow("ops", kSendMessages, 0), member_ow(0, kSendMessages)},
            kSendMessages,
            false},
        Row{"member_deny_beats_base", member({"ops"}), {member_ow(0, kRunTasks)}, kRunTasks, false},
        Row{"overwrite_for_other_member_is_ignored",
            member({}),
            {{Overwrite::Kind::member, "bob", 0, kViewChannel}},
            kViewChannel,
            true},
        Row{"everyone_allow_adds_a_bit",
            member({}),
            {role_ow("space", kRunTasks, 0)},
            kRunTasks,
            true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RoleHierarchy, equal_or_higher_roles_cannot_be_managed) {
  const Member mod = member({"mod"});
  const Permissions p = base_permissions(mod, kEveryone, kRoles);
  EXPECT_TRUE(can_manage_role(mod, p, kOps, kRoles));     // 5 > 3
  EXPECT_FALSE(can_manage_role(mod, p, kMod, kRoles));    // equal
  EXPECT_FALSE(can_manage_role(mod, p, kAdmin, kRoles));  // higher
}

TEST(RoleHierarchy, manage_roles_permission_is_required) {
  const Member ops = member({"ops"});
  EXPECT_FALSE(can_manage_role(ops, base_permissions(ops, kEveryone, kRoles), kMuted, kRoles));
}

TEST(RoleHierarchy, owner_manages_every_role_and_member_but_nobody_manages_the_owner) {
  const Member owner = member({}, true);
  EXPECT_TRUE(can_manage_role(owner, 0, kAdmin, kRoles));
  EXPECT_TRUE(can_manage_member(owner, {"bob", {"admin"}, false}, kRoles));
  EXPECT_FALSE(can_manage_member({"bob", {"admin"}, false}, owner, kRoles));
}

TEST(RoleHierarchy, members_are_managed_only_from_strictly_above) {
  const Member mod{"m", {"mod"}, false}, ops{"o", {"ops"}, false}, other_mod{"x", {"mod"}, false};
  EXPECT_TRUE(can_manage_member(mod, ops, kRoles));
  EXPECT_FALSE(can_manage_member(ops, mod, kRoles));
  EXPECT_FALSE(can_manage_member(mod, other_mod, kRoles));
}

TEST(Grant, only_held_bits_can_be_granted) {
  EXPECT_TRUE(can_grant(kManageRoles | kRunTasks, kRunTasks));
  EXPECT_FALSE(can_grant(kManageRoles | kRunTasks, kDeploy));
  EXPECT_TRUE(can_grant(kAllPermissions, kDeploy));
}

TEST(Names, round_trip_and_unknown_names_are_refused) {
  auto p = parse_permissions({"RUN_TASKS", "VIEW_AUDIT"});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, kRunTasks | kViewAudit);
  EXPECT_EQ(permission_names(*p), (std::vector<std::string>{"VIEW_AUDIT", "RUN_TASKS"}));
  auto bad = parse_permissions({"RUN_TASKS", "FLY"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("FLY"), std::string::npos);
  EXPECT_EQ(permission_names(kAllPermissions).size(), 32u);
}

TEST(Names, bit_positions_are_stable) {
  // Stored in databases and API tokens: a change here breaks every existing instance.
  EXPECT_EQ(kAdministrator, 1u);
  EXPECT_EQ(kViewAudit, 1u << 10);
  EXPECT_EQ(kViewChannel, 1u << 16);
  EXPECT_EQ(kRunTasks, uint64_t{1} << 33);
}

}  // namespace
}  // namespace ris::identity
