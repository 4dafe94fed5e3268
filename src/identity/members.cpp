#include "ris/identity/members.hpp"

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

constexpr std::string_view kSelect =
    "SELECT m.account_id, a.username, a.display_name, m.nickname, m.joined_at, m.muted_until, "
    "(SELECT group_concat(role_id) FROM member_roles r WHERE r.space_id = m.space_id AND "
    "r.account_id = m.account_id) "
    "AS role_ids FROM space_members m JOIN accounts a ON a.id = m.account_id ";

MemberView from_row(const store::Row& r, std::string_view owner_id) {
  MemberView m;
  m.account_id = r.get<std::string>("account_id");
  m.username = r.get<std::string>("username");
  m.display_name = r.get<std::string>("display_name");
  m.nickname = r.get<std::string>("nickname");
  m.joined_at = r.get<std::string>("joined_at");
  if (!r.is_null("muted_until"))
    m.muted_until = r.get<std::string>("muted_until");
  std::string ids = r.get<std::string>("role_ids");
  for (size_t start = 0; !ids.empty() && start <= ids.size();) {
    size_t comma = ids.find(',', start);
    m.role_ids.push_back(ids.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  m.is_owner = m.account_id == owner_id;
  return m;
}
}  // namespace

Result<std::vector<MemberView>> Members::list(const SpaceAccess& access) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(auto rows, store_.query(std::string(kSelect) + "WHERE m.space_id = ? ORDER BY a.username",
                                  {access.space_id}));
  std::vector<MemberView> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r, access.owner_id));
  return out;
}

Result<MemberView> Members::get(const SpaceAccess& access, std::string_view account_id) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  RIS_TRY(auto rows,
          store_.query(std::string(kSelect) + "WHERE m.space_id = ? AND m.account_id = ?",
                       {access.space_id, std::string(account_id)}));
  if (rows.rows.empty())
    return no_such_member();
  return from_row(rows.rows[0], access.owner_id);
}

Result<Member> Members::manageable(const SpaceAccess& access, std::string_view account_id,
                                   Permissions needed) {
  RIS_TRY_VOID(require(access, needed));
  RIS_TRY(auto rows,
          store_.query("SELECT 1 FROM space_members WHERE space_id = ? AND account_id = ?",
                       {access.space_id, std::string(account_id)}));
  if (rows.rows.empty())
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
  RIS_TRY_VOID(store_.query("DELETE FROM space_members WHERE space_id = ? AND account_id = ?",
                            {access.space_id, target.account_id}));
  return {};
}

Result<void> Members::ban(const SpaceAccess& access, std::string_view account_id,
                          std::string_view reason) {
  if (reason.size() > 500)
    return fail(Errc::invalid_argument, "reason must be at most 500 characters");
  RIS_TRY(auto is_member,
          store_.query("SELECT 1 FROM space_members WHERE space_id = ? AND account_id = ?",
                       {access.space_id, std::string(account_id)}));
  if (!is_member.rows.empty()) {
    RIS_TRY(auto target, manageable(access, account_id, kBanMembers));
    (void)target;
  } else {
    RIS_TRY_VOID(require(access, kBanMembers));  // banning someone who is not (yet) a member
    RIS_TRY(auto exists,
            store_.query("SELECT 1 FROM accounts WHERE id = ?", {std::string(account_id)}));
    if (exists.rows.empty())
      return fail(Errc::not_found, "no such account");
  }
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query("DELETE FROM space_members WHERE space_id = ? AND account_id = ?",
                          {access.space_id, std::string(account_id)}));
    RIS_TRY_VOID(
        tx.query("INSERT INTO bans (space_id, account_id, reason, banned_by, banned_at) VALUES (?, "
                 "?, ?, ?, ?) "
                 "ON CONFLICT (space_id, account_id) DO UPDATE SET reason = excluded.reason",
                 {access.space_id, std::string(account_id), std::string(reason),
                  access.member.account_id, now_rfc3339()}));
    return {};
  });
}

Result<void> Members::unban(const SpaceAccess& access, std::string_view account_id) {
  RIS_TRY_VOID(require(access, kBanMembers));
  RIS_TRY(
      auto rows,
      store_.query("DELETE FROM bans WHERE space_id = ? AND account_id = ? RETURNING account_id",
                   {access.space_id, std::string(account_id)}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such ban");
  return {};
}

Result<std::vector<Ban>> Members::bans(const SpaceAccess& access) {
  RIS_TRY_VOID(require(access, kBanMembers));
  RIS_TRY(
      auto rows,
      store_.query("SELECT account_id, reason, banned_by, banned_at FROM bans WHERE space_id = ? "
                   "ORDER BY banned_at DESC",
                   {access.space_id}));
  std::vector<Ban> out;
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                   r.get<std::string>(3)});
  return out;
}

Result<void> Members::timeout(const SpaceAccess& access, std::string_view account_id,
                              std::optional<std::string> until) {
  RIS_TRY(auto target, manageable(access, account_id, kModerateMembers));
  store::Value stored;
  if (until) {
    auto t = parse_rfc3339(*until);
    if (!t)
      return fail(Errc::invalid_argument,
                  "until must be an RFC 3339 time, like 2026-11-23T10:30:00Z");
    stored = to_rfc3339(*t);
  }
  RIS_TRY_VOID(
      store_.query("UPDATE space_members SET muted_until = ? WHERE space_id = ? AND account_id = ?",
                   {stored, access.space_id, target.account_id}));
  return {};
}

Result<void> Members::add_role(const SpaceAccess& access, std::string_view account_id,
                               std::string_view role_id) {
  RIS_TRY_VOID(require(access, kManageRoles));
  const Role* role = find_role(access, role_id);
  if (!role)
    return fail(Errc::not_found, "no such role");
  if (!can_manage_role(access.member, access.permissions, *role, access.roles))
    return fail(Errc::forbidden, "that role is not below your highest role");
  RIS_TRY(auto exists,
          store_.query("SELECT 1 FROM space_members WHERE space_id = ? AND account_id = ?",
                       {access.space_id, std::string(account_id)}));
  if (exists.rows.empty())
    return no_such_member();
  RIS_TRY_VOID(store_.query(
      "INSERT OR IGNORE INTO member_roles (space_id, account_id, role_id) VALUES (?, ?, ?)",
      {access.space_id, std::string(account_id), role->id}));
  return {};
}

Result<void> Members::remove_role(const SpaceAccess& access, std::string_view account_id,
                                  std::string_view role_id) {
  RIS_TRY_VOID(require(access, kManageRoles));
  const Role* role = find_role(access, role_id);
  if (!role)
    return fail(Errc::not_found, "no such role");
  if (!can_manage_role(access.member, access.permissions, *role, access.roles))
    return fail(Errc::forbidden, "that role is not below your highest role");
  RIS_TRY_VOID(
      store_.query("DELETE FROM member_roles WHERE space_id = ? AND account_id = ? AND role_id = ?",
                   {access.space_id, std::string(account_id), role->id}));
  return {};
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
  RIS_TRY_VOID(
      store_.query("UPDATE space_members SET nickname = ? WHERE space_id = ? AND account_id = ?",
                   {std::string(nickname), access.space_id, std::string(account_id)}));
  return {};
}

}  // namespace ris::identity
