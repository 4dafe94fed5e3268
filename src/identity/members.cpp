#include "ris/identity/members.hpp"

#include "accounts_repository.hpp"
#include "members_repository.hpp"
#include "ris/core/time.hpp"

namespace ris::identity {
namespace {
Failure no_such_member() {
  return fail(Errc::not_found, "no such member");
}

const Role* find_role(const SpaceAccess& a, std::string_view id) {
  for (const auto& r : a.roles)
    if (r.id == id)
      return &r;
  return nullptr;
}

}  // namespace

Result<std::vector<MemberView>> Members::list(const SpaceAccess& access) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(auto members, MembersRepository(store_).list(access.space_id));
  for (auto& m : members)
    m.is_owner = m.account_id == access.owner_id;
  return members;
}

Result<MemberView> Members::get(const SpaceAccess& access, std::string_view account_id) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(auto member, MembersRepository(store_).get(access.space_id, account_id));
  if (!member)
    return no_such_member();
  member->is_owner = member->account_id == access.owner_id;
  return std::move(*member);
}

Result<Member> Members::manageable(const SpaceAccess& access, std::string_view account_id,
                                   Permissions needed) {
  RIS_TRY_VOID(require(access, needed));
  RIS_TRY(const bool member, MembersRepository(store_).is_member(access.space_id, account_id));
  if (!member)
    return no_such_member();
  if (account_id == access.member.account_id)
    return fail(Errc::conflict, "you cannot do that to yourself");
  RIS_TRY(Member target, load_member(store_, access.space_id, account_id, access.owner_id));
  if (!can_manage_member(access.member, target, access.roles))
    return fail(Errc::forbidden, target.is_owner ? "nobody can act on the space's owner"
                                                 : "that member's highest role is not below yours");
  return target;
}

Result<void> Members::kick(const SpaceAccess& access, std::string_view account_id) {
  RIS_TRY(auto target, manageable(access, account_id, kKickMembers));
  return MembersRepository(store_).remove(access.space_id, target.account_id);
}

Result<void> Members::ban(const SpaceAccess& access, std::string_view account_id,
                          std::string_view reason) {
  if (reason.size() > 500)
    return fail(Errc::invalid_argument, "reason must be at most 500 characters");
  RIS_TRY(const bool is_member, MembersRepository(store_).is_member(access.space_id, account_id));
  if (is_member) {
    RIS_TRY(auto target, manageable(access, account_id, kBanMembers));
    (void)target;
  } else {
    RIS_TRY_VOID(require(access, kBanMembers));  // banning someone who is not (yet) a member
    RIS_TRY(const bool exists, AccountsRepository(store_).exists(account_id));
    if (!exists)
      return fail(Errc::not_found, "no such account");
  }
  const Ban ban{std::string(account_id), std::string(reason), access.member.account_id,
                now_rfc3339()};
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    MembersRepository members(tx);
    RIS_TRY_VOID(members.remove(access.space_id, ban.account_id));
    return members.upsert_ban(access.space_id, ban);
  });
}

Result<void> Members::unban(const SpaceAccess& access, std::string_view account_id) {
  RIS_TRY_VOID(require(access, kBanMembers));
  RIS_TRY(const bool removed, MembersRepository(store_).remove_ban(access.space_id, account_id));
  if (!removed)
    return fail(Errc::not_found, "no such ban");
  return {};
}

Result<std::vector<Ban>> Members::bans(const SpaceAccess& access) {
  RIS_TRY_VOID(require(access, kBanMembers));
  return MembersRepository(store_).bans(access.space_id);
}

Result<void> Members::timeout(const SpaceAccess& access, std::string_view account_id,
                              std::optional<std::string> until) {
  RIS_TRY(auto target, manageable(access, account_id, kModerateMembers));
  std::optional<std::string> stored;
  if (until) {
    auto t = parse_rfc3339(*until);
    if (!t)
      return fail(Errc::invalid_argument,
                  "until must be an RFC 3339 time, like 2026-11-23T10:30:00Z");
    stored = to_rfc3339(*t);
  }
  return MembersRepository(store_).set_muted_until(access.space_id, target.account_id, stored);
}

Result<void> Members::add_role(const SpaceAccess& access, std::string_view account_id,
                               std::string_view role_id) {
  RIS_TRY_VOID(require(access, kManageRoles));
  const Role* role = find_role(access, role_id);
  if (!role)
    return fail(Errc::not_found, "no such role");
  if (!can_manage_role(access.member, access.permissions, *role, access.roles))
    return fail(Errc::forbidden, "that role is not below your highest role");
  MembersRepository members(store_);
  RIS_TRY(const bool exists, members.is_member(access.space_id, account_id));
  if (!exists)
    return no_such_member();
  return members.add_role(access.space_id, account_id, role->id);
}

Result<void> Members::remove_role(const SpaceAccess& access, std::string_view account_id,
                                  std::string_view role_id) {
  RIS_TRY_VOID(require(access, kManageRoles));
  const Role* role = find_role(access, role_id);
  if (!role)
    return fail(Errc::not_found, "no such role");
  if (!can_manage_role(access.member, access.permissions, *role, access.roles))
    return fail(Errc::forbidden, "that role is not below your highest role");
  return MembersRepository(store_).remove_role(access.space_id, account_id, role->id);
}

Result<void> Members::set_nickname(const SpaceAccess& access, std::string_view account_id,
                                   std::string_view nickname) {
  if (nickname.size() > 32)
    return fail(Errc::invalid_argument, "nickname must be at most 32 characters");
  if (account_id == access.member.account_id) {
    RIS_TRY_VOID(require(access, kChangeNickname));
  } else {
    RIS_TRY(auto target, manageable(access, account_id, kManageNicknames));
    (void)target;
  }
  return MembersRepository(store_).set_nickname(access.space_id, account_id, nickname);
}

}  // namespace ris::identity
