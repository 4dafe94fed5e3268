// The permission engine: one table of bits for chat and fleet, roles as sets of bits, and
// overwrites on resources, evaluated the Discord way. Every module asks this engine; nothing
// else computes permissions.
//
// Bit positions are a stable wire and storage format (roles, overwrites and API tokens store
// them as integers): a bit is never renumbered or reused, only added.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::identity {

using Permissions = uint64_t;

constexpr Permissions bit(int n) {
  return Permissions{1} << n;
}

// Space administration.
inline constexpr Permissions kAdministrator = bit(0);  // every permission, overwrites ignored
inline constexpr Permissions kManageSpace = bit(1);
inline constexpr Permissions kManageRoles = bit(2);
inline constexpr Permissions kManageChannels = bit(3);
inline constexpr Permissions kKickMembers = bit(4);
inline constexpr Permissions kBanMembers = bit(5);
inline constexpr Permissions kModerateMembers = bit(6);  // timeouts
inline constexpr Permissions kCreateInvite = bit(7);
inline constexpr Permissions kChangeNickname = bit(8);
inline constexpr Permissions kManageNicknames = bit(9);
inline constexpr Permissions kViewAudit = bit(10);
inline constexpr Permissions kManageTokens = bit(11);
// Chat (seed 003).
inline constexpr Permissions kViewChannel = bit(16);
inline constexpr Permissions kSendMessages = bit(17);
inline constexpr Permissions kSendMessagesInThreads = bit(18);
inline constexpr Permissions kCreateThreads = bit(19);
inline constexpr Permissions kManageMessages = bit(20);
inline constexpr Permissions kManageThreads = bit(21);
inline constexpr Permissions kAttachFiles = bit(22);
inline constexpr Permissions kEmbedLinks = bit(23);
inline constexpr Permissions kAddReactions = bit(24);
inline constexpr Permissions kMentionEveryone = bit(25);
inline constexpr Permissions kReadMessageHistory = bit(26);
inline constexpr Permissions kManageWebhooks = bit(27);
// Fleet (seed 000, 001, 002).
inline constexpr Permissions kViewAgents = bit(32);
inline constexpr Permissions kRunTasks = bit(33);
inline constexpr Permissions kManageAgents = bit(34);
inline constexpr Permissions kManageServices = bit(35);
inline constexpr Permissions kDeploy = bit(36);
inline constexpr Permissions kManageSchedules = bit(37);
inline constexpr Permissions kUseKv = bit(38);
inline constexpr Permissions kUsePubsub = bit(39);

inline constexpr Permissions kAllPermissions =
    kAdministrator | kManageSpace | kManageRoles | kManageChannels | kKickMembers | kBanMembers |
    kModerateMembers | kCreateInvite | kChangeNickname | kManageNicknames | kViewAudit |
    kManageTokens | kViewChannel | kSendMessages | kSendMessagesInThreads | kCreateThreads |
    kManageMessages | kManageThreads | kAttachFiles | kEmbedLinks | kAddReactions |
    kMentionEveryone | kReadMessageHistory | kManageWebhooks | kViewAgents | kRunTasks |
    kManageAgents | kManageServices | kDeploy | kManageSchedules | kUseKv | kUsePubsub;

// @everyone of a new space: take part in chat and see the fleet, change nothing. Running
// tasks on machines is granted deliberately, by a role, never by default.
inline constexpr Permissions kDefaultEveryone =
    kViewChannel | kSendMessages | kSendMessagesInThreads | kCreateThreads | kAttachFiles |
    kEmbedLinks | kAddReactions | kReadMessageHistory | kCreateInvite | kChangeNickname |
    kViewAgents;

// What a timed-out member keeps: reading.
inline constexpr Permissions kTimeoutAllowed = kViewChannel | kReadMessageHistory | kViewAgents;

// "MANAGE_ROLES" for one bit; "" for an unknown or combined value.
std::string_view permission_name(Permissions single_bit);
// Names of the bits set, in table order.
std::vector<std::string> permission_names(Permissions permissions);
// Names to bits; an unknown name is Errc::invalid_argument naming it.
Result<Permissions> parse_permissions(const std::vector<std::string>& names);

struct Role {
  std::string id;
  int position = 0;  // 0 is @everyone; a higher position ranks higher
  Permissions permissions = 0;
};

struct Member {
  std::string account_id;
  std::vector<std::string> role_ids;
  bool is_owner = false;
};

struct Overwrite {
  enum class Kind { role, member };
  Kind kind = Kind::role;
  std::string target_id;  // a role id (the space id for @everyone) or an account id
  Permissions allow = 0, deny = 0;
};

// @everyone | the member's roles; the owner and ADMINISTRATOR get everything.
Permissions base_permissions(const Member& member, const Role& everyone,
                             const std::vector<Role>& roles);
// Base, then the resource's overwrites in Discord's order: @everyone (deny, allow), the member's
// roles together (all denies, then all allows), the member (deny, allow). The owner and
// ADMINISTRATOR ignore overwrites.
Permissions resource_permissions(const Member& member, const Role& everyone,
                                 const std::vector<Role>& roles,
                                 const std::vector<Overwrite>& overwrites);

// The position of the member's highest role (0 with none; the owner ranks above every role).
int highest_position(const Member& member, const std::vector<Role>& roles);
// Hierarchy: the owner manages every role; others need MANAGE_ROLES (or ADMINISTRATOR) and a
// highest role strictly above the target.
bool can_manage_role(const Member& actor, Permissions actor_permissions, const Role& target,
                     const std::vector<Role>& roles);
// Kick, ban, timeout, assigning roles to someone: the actor's highest role must be strictly
// above the target's; nobody manages the owner; the owner manages everyone. Whether an actor may
// act on themselves is for the caller to decide.
bool can_manage_member(const Member& actor, const Member& target, const std::vector<Role>& roles);
// A role edit may only grant what the actor holds (ADMINISTRATOR holders and owners: anything).
bool can_grant(Permissions actor_permissions, Permissions requested);

}  // namespace ris::identity
