// SQL for space_members, member_roles and bans. Portable SQL only (SQLite and PostgreSQL 15):
// a member's role ids are aggregated with the dialect's group_concat/string_agg and sorted
// here, since neither engine orders the aggregate.
#include "members_repository.hpp"

#include <algorithm>

#include "ris/store/dialect.hpp"

namespace ris::identity {
namespace {

std::string select_members(store::Engine engine) {
  return "SELECT m.account_id, a.username, a.display_name, m.nickname, m.joined_at, "
         "m.muted_until, (SELECT " +
         store::dialect::group_concat(engine, "r.role_id") +
         " FROM member_roles r WHERE r.space_id = m.space_id AND r.account_id = m.account_id) "
         "AS role_ids FROM space_members m JOIN accounts a ON a.id = m.account_id ";
}

std::vector<std::string> split_ids(const std::string& ids) {
  std::vector<std::string> out;
  for (size_t start = 0; !ids.empty() && start <= ids.size();) {
    const size_t comma = ids.find(',', start);
    out.push_back(ids.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

MemberView from_row(const store::Row& r) {
  MemberView m;
  m.account_id = r.get<std::string>("account_id");
  m.username = r.get<std::string>("username");
  m.display_name = r.get<std::string>("display_name");
  m.nickname = r.get<std::string>("nickname");
  m.joined_at = r.get<std::string>("joined_at");
  m.muted_until = r.get_optional<std::string>("muted_until");
  m.role_ids = split_ids(r.get<std::string>("role_ids"));
  return m;
}

}  // namespace

Result<std::vector<MemberView>> MembersRepository::list(std::string_view space_id) {
  RIS_TRY(auto rows,
          store_.query(select_members(store_.engine()) + "WHERE m.space_id = ? ORDER BY a.username",
                       {std::string(space_id)}));
  std::vector<MemberView> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<std::optional<MemberView>> MembersRepository::get(std::string_view space_id,
                                                         std::string_view account_id) {
  RIS_TRY(auto rows, store_.query(select_members(store_.engine()) +
                                      "WHERE m.space_id = ? AND m.account_id = ?",
                                  {std::string(space_id), std::string(account_id)}));
  if (rows.rows.empty())
    return std::optional<MemberView>();
  return std::optional<MemberView>(from_row(rows.rows[0]));
}

Result<std::optional<Membership>> MembersRepository::membership(std::string_view space_id,
                                                                std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("SELECT muted_until FROM space_members "
                                  "WHERE space_id = ? AND account_id = ?",
                                  {std::string(space_id), std::string(account_id)}));
  if (rows.rows.empty())
    return std::optional<Membership>();
  return std::optional<Membership>(Membership{rows.rows[0].get_optional<std::string>(0)});
}

Result<bool> MembersRepository::is_member(std::string_view space_id, std::string_view account_id) {
  RIS_TRY(auto rows,
          store_.query("SELECT 1 FROM space_members WHERE space_id = ? AND account_id = ?",
                       {std::string(space_id), std::string(account_id)}));
  return !rows.rows.empty();
}

Result<int64_t> MembersRepository::count_spaces_of(std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("SELECT COUNT(*) FROM space_members WHERE account_id = ?",
                                  {std::string(account_id)}));
  return rows.rows[0].get<int64_t>(0);
}

Result<void> MembersRepository::insert(std::string_view space_id, std::string_view account_id,
                                       std::string_view joined_at) {
  RIS_TRY_VOID(
      store_.query("INSERT INTO space_members (space_id, account_id, joined_at) VALUES (?, ?, ?)",
                   {std::string(space_id), std::string(account_id), std::string(joined_at)}));
  return {};
}

Result<void> MembersRepository::remove(std::string_view space_id, std::string_view account_id) {
  RIS_TRY_VOID(store_.query("DELETE FROM space_members WHERE space_id = ? AND account_id = ?",
                            {std::string(space_id), std::string(account_id)}));
  return {};
}

Result<void> MembersRepository::set_muted_until(std::string_view space_id,
                                                std::string_view account_id,
                                                const std::optional<std::string>& until) {
  RIS_TRY_VOID(
      store_.query("UPDATE space_members SET muted_until = ? WHERE space_id = ? AND account_id = ?",
                   {until ? store::Value(*until) : store::Value(), std::string(space_id),
                    std::string(account_id)}));
  return {};
}

Result<void> MembersRepository::set_nickname(std::string_view space_id, std::string_view account_id,
                                             std::string_view nickname) {
  RIS_TRY_VOID(
      store_.query("UPDATE space_members SET nickname = ? WHERE space_id = ? AND account_id = ?",
                   {std::string(nickname), std::string(space_id), std::string(account_id)}));
  return {};
}

Result<std::vector<std::string>> MembersRepository::role_ids(std::string_view space_id,
                                                             std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("SELECT role_id FROM member_roles WHERE space_id = ? AND "
                                  "account_id = ? ORDER BY role_id",
                                  {std::string(space_id), std::string(account_id)}));
  std::vector<std::string> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(r.get<std::string>(0));
  return out;
}

Result<void> MembersRepository::add_role(std::string_view space_id, std::string_view account_id,
                                         std::string_view role_id) {
  RIS_TRY_VOID(
      store_.query("INSERT INTO member_roles (space_id, account_id, role_id) VALUES (?, ?, ?) "
                   "ON CONFLICT (space_id, account_id, role_id) DO NOTHING",
                   {std::string(space_id), std::string(account_id), std::string(role_id)}));
  return {};
}

Result<void> MembersRepository::remove_role(std::string_view space_id, std::string_view account_id,
                                            std::string_view role_id) {
  RIS_TRY_VOID(
      store_.query("DELETE FROM member_roles WHERE space_id = ? AND account_id = ? AND role_id = ?",
                   {std::string(space_id), std::string(account_id), std::string(role_id)}));
  return {};
}

Result<bool> MembersRepository::is_banned(std::string_view space_id, std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("SELECT 1 FROM bans WHERE space_id = ? AND account_id = ?",
                                  {std::string(space_id), std::string(account_id)}));
  return !rows.rows.empty();
}

Result<void> MembersRepository::upsert_ban(std::string_view space_id, const Ban& b) {
  RIS_TRY_VOID(
      store_.query("INSERT INTO bans (space_id, account_id, reason, banned_by, banned_at) "
                   "VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (space_id, account_id) DO UPDATE SET reason = excluded.reason",
                   {std::string(space_id), b.account_id, b.reason, b.banned_by, b.banned_at}));
  return {};
}

Result<bool> MembersRepository::remove_ban(std::string_view space_id, std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("DELETE FROM bans WHERE space_id = ? AND account_id = ? "
                                  "RETURNING account_id",
                                  {std::string(space_id), std::string(account_id)}));
  return !rows.rows.empty();
}

Result<std::vector<Ban>> MembersRepository::bans(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT account_id, reason, banned_by, banned_at FROM bans "
                                  "WHERE space_id = ? ORDER BY banned_at DESC, account_id",
                                  {std::string(space_id)}));
  std::vector<Ban> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                   r.get<std::string>(3)});
  return out;
}

}  // namespace ris::identity
