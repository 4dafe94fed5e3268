#include "ris/identity/permissions.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace ris::identity {
namespace {
constexpr std::array<std::pair<Permissions, std::string_view>, 32> kNames{{
    {kAdministrator, "ADMINISTRATOR"},
    {kManageSpace, "MANAGE_SPACE"},
    {kManageRoles, "MANAGE_ROLES"},
    {kManageChannels, "MANAGE_CHANNELS"},
    {kKickMembers, "KICK_MEMBERS"},
    {kBanMembers, "BAN_MEMBERS"},
    {kModerateMembers, "MODERATE_MEMBERS"},
    {kCreateInvite, "CREATE_INVITE"},
    {kChangeNickname, "CHANGE_NICKNAME"},
    {kManageNicknames, "MANAGE_NICKNAMES"},
    {kViewAudit, "VIEW_AUDIT"},
    {kManageTokens, "MANAGE_TOKENS"},
    {kViewChannel, "VIEW_CHANNEL"},
    {kSendMessages, "SEND_MESSAGES"},
    {kSendMessagesInThreads, "SEND_MESSAGES_IN_THREADS"},
    {kCreateThreads, "CREATE_THREADS"},
    {kManageMessages, "MANAGE_MESSAGES"},
    {kManageThreads, "MANAGE_THREADS"},
    {kAttachFiles, "ATTACH_FILES"},
    {kEmbedLinks, "EMBED_LINKS"},
    {kAddReactions, "ADD_REACTIONS"},
    {kMentionEveryone, "MENTION_EVERYONE"},
    {kReadMessageHistory, "READ_MESSAGE_HISTORY"},
    {kManageWebhooks, "MANAGE_WEBHOOKS"},
    {kViewAgents, "VIEW_AGENTS"},
    {kRunTasks, "RUN_TASKS"},
    {kManageAgents, "MANAGE_AGENTS"},
    {kManageServices, "MANAGE_SERVICES"},
    {kDeploy, "DEPLOY"},
    {kManageSchedules, "MANAGE_SCHEDULES"},
    {kUseKv, "USE_KV"},
    {kUsePubsub, "USE_PUBSUB"},
}};

bool has_role(const Member& m, const std::string& role_id) {
  return std::find(m.role_ids.begin(), m.role_ids.end(), role_id) != m.role_ids.end();
}

Permissions apply(Permissions p, Permissions allow, Permissions deny) {
  return (p & ~deny) | allow;
}
}  // namespace

std::string_view permission_name(Permissions single_bit) {
  for (const auto& [b, name] : kNames)
    if (b == single_bit)
      return name;
  return {};
}

std::vector<std::string> permission_names(Permissions permissions) {
  std::vector<std::string> out;
  for (const auto& [b, name] : kNames)
    if (permissions & b)
      out.emplace_back(name);
  return out;
}

Result<Permissions> parse_permissions(const std::vector<std::string>& names) {
  Permissions out = 0;
  for (const auto& n : names) {
    auto it =
        std::find_if(kNames.begin(), kNames.end(), [&](const auto& e) { return e.second == n; });
    if (it == kNames.end())
      return fail(Errc::invalid_argument, "unknown permission \"" + n + "\"");
    out |= it->first;
  }
  return out;
}

Permissions base_permissions(const Member& member, const Role& everyone,
                             const std::vector<Role>& roles) {
  if (member.is_owner)
    return kAllPermissions;
  Permissions p = everyone.permissions;
  for (const auto& r : roles)
    if (has_role(member, r.id))
      p |= r.permissions;
  return (p & kAdministrator) ? kAllPermissions : p;
}

Permissions resource_permissions(const Member& member, const Role& everyone,
                                 const std::vector<Role>& roles,
                                 const std::vector<Overwrite>& overwrites) {
  Permissions p = base_permissions(member, everyone, roles);
  if (p & kAdministrator)
    return kAllPermissions;
  Permissions role_allow = 0, role_deny = 0;
  const Overwrite* everyone_ow = nullptr;
  const Overwrite* member_ow = nullptr;
  for (const auto& o : overwrites) {
    if (o.kind == Overwrite::Kind::member) {
      if (o.target_id == member.account_id)
        member_ow = &o;
    } else if (o.target_id == everyone.id) {
      everyone_ow = &o;
    } else if (has_role(member, o.target_id)) {
      role_allow |= o.allow;
      role_deny |= o.deny;
    }
  }
  if (everyone_ow)
    p = apply(p, everyone_ow->allow, everyone_ow->deny);
  p = apply(p, role_allow, role_deny);
  if (member_ow)
    p = apply(p, member_ow->allow, member_ow->deny);
  return p;
}

int highest_position(const Member& member, const std::vector<Role>& roles) {
  if (member.is_owner)
    return std::numeric_limits<int>::max();
  int top = 0;
  for (const auto& r : roles)
    if (has_role(member, r.id))
      top = std::max(top, r.position);
  return top;
}

bool can_manage_role(const Member& actor, Permissions actor_permissions, const Role& target,
                     const std::vector<Role>& roles) {
  if (actor.is_owner)
    return true;
  if (!(actor_permissions & (kManageRoles | kAdministrator)))
    return false;
  return highest_position(actor, roles) > target.position;
}

bool can_manage_member(const Member& actor, const Member& target, const std::vector<Role>& roles) {
  if (target.is_owner)
    return false;
  if (actor.is_owner)
    return true;
  return highest_position(actor, roles) > highest_position(target, roles);
}

bool can_grant(Permissions actor_permissions, Permissions requested) {
  if (actor_permissions & kAdministrator)
    return true;
  return (requested & ~actor_permissions) == 0;
}

}  // namespace ris::identity
