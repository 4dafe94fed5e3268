#include "ris/identity/spaces.hpp"

#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"

namespace ris::identity {
namespace {
constexpr std::string_view kSpaceSelect =
    "SELECT s.id, s.name, s.description, s.owner_id, s.created_at, s.is_public, "
    "(SELECT COUNT(*) FROM space_members m WHERE m.space_id = s.id) AS member_count FROM spaces s ";

Space from_row(const store::Row& r) {
  Space s;
  s.id = r.get<std::string>("id");
  s.name = r.get<std::string>("name");
  s.description = r.get<std::string>("description");
  s.owner_id = r.get<std::string>("owner_id");
  s.created_at = r.get<std::string>("created_at");
  s.is_public = r.get<int64_t>("is_public") != 0;
  s.member_count = r.get<int64_t>("member_count");
  return s;
}

Result<Space> find(store::Store& store, std::string_view id) {
  RIS_TRY(auto rows, store.query(std::string(kSpaceSelect) + "WHERE s.id = ?", {std::string(id)}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such space");
  return from_row(rows.rows[0]);
}

Result<void> validate_description(std::string_view d) {
  if (d.size() > 1000)
    return fail(Errc::invalid_argument, "description must be at most 1000 characters");
  return {};
}

Result<void> owner_only(const SpaceAccess& a, std::string_view what) {
  if (!a.is_member)
    return fail(Errc::not_found, "no such space");
  if (!a.member.is_owner)
    return fail(Errc::forbidden, "only the space's owner can " + std::string(what));
  return {};
}
}  // namespace

Result<void> validate_space_name(std::string_view name) {
  if (name.empty() || name.size() > 100)
    return fail(Errc::invalid_argument, "space name must be 1 to 100 characters");
  if (name.find_first_of("\r\n\t") != std::string_view::npos)
    return fail(Errc::invalid_argument, "space name must be on one line");
  return {};
}

Result<void> add_member(store::Store& tx, std::string_view space_id, std::string_view account_id) {
  const std::string space(space_id), account(account_id);
  RIS_TRY(auto banned,
          tx.query("SELECT 1 FROM bans WHERE space_id = ? AND account_id = ?", {space, account}));
  if (!banned.rows.empty())
    return fail(Errc::forbidden, "you are banned from this space");
  RIS_TRY(auto existing,
          tx.query("SELECT 1 FROM space_members WHERE space_id = ? AND account_id = ?",
                   {space, account}));
  if (!existing.rows.empty())
    return fail(Errc::conflict, "already a member of this space");
  RIS_TRY(auto count,
          tx.query("SELECT COUNT(*) FROM space_members WHERE account_id = ?", {account}));
  if (count.rows[0].get<int64_t>(0) >= kMaxSpacesPerAccount)
    return fail(Errc::conflict, "an account can be in at most " +
                                    std::to_string(kMaxSpacesPerAccount) +
                                    " spaces; leave one first");
  RIS_TRY_VOID(
      tx.query("INSERT INTO space_members (space_id, account_id, joined_at) VALUES (?, ?, ?)",
               {space, account, now_rfc3339()}));
  return {};
}

Result<Space> Spaces::create(const Principal& caller, std::string name, std::string description,
                             bool is_public) {
  if (caller.token)
    return fail(Errc::forbidden, "API tokens cannot create spaces");
  RIS_TRY_VOID(validate_space_name(name));
  RIS_TRY_VOID(validate_description(description));
  const std::string id = new_id(), now = now_rfc3339();
  std::optional<Space> out;
  auto r = store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(
        tx.query("INSERT INTO spaces (id, name, description, is_public, owner_id, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 {id, name, description, int64_t{is_public}, caller.account_id, now}));
    RIS_TRY_VOID(
        tx.query("INSERT INTO roles (id, space_id, name, position, permissions, created_at) "
                 "VALUES (?, ?, '@everyone', 0, ?, ?)",
                 {id, id, static_cast<int64_t>(kDefaultEveryone), now}));
    RIS_TRY_VOID(add_member(tx, id, caller.account_id));
    RIS_TRY(auto s, find(tx, id));
    out = std::move(s);
    return {};
  });
  if (!r)
    return fail(r.error());
  return std::move(*out);
}

Result<Space> Spaces::get(const SpaceAccess& access) {
  return find(store_, access.space_id);
}

Result<Space> Spaces::update(const SpaceAccess& access, const SpaceChanges& c) {
  RIS_TRY_VOID(require(access, kManageSpace));
  if (c.name)
    RIS_TRY_VOID(validate_space_name(*c.name));
  if (c.description)
    RIS_TRY_VOID(validate_description(*c.description));
  if (c.name)
    RIS_TRY_VOID(
        store_.query("UPDATE spaces SET name = ? WHERE id = ?", {*c.name, access.space_id}));
  if (c.description)
    RIS_TRY_VOID(store_.query("UPDATE spaces SET description = ? WHERE id = ?",
                              {*c.description, access.space_id}));
  if (c.is_public)
    RIS_TRY_VOID(store_.query("UPDATE spaces SET is_public = ? WHERE id = ?",
                              {int64_t{*c.is_public}, access.space_id}));
  return find(store_, access.space_id);
}

Result<void> Spaces::remove(const SpaceAccess& access) {
  RIS_TRY_VOID(owner_only(access, "delete it"));
  RIS_TRY_VOID(store_.query("DELETE FROM spaces WHERE id = ?", {access.space_id}));
  return {};
}

Result<void> Spaces::remove_any(std::string_view space_id) {
  RIS_TRY(auto rows,
          store_.query("DELETE FROM spaces WHERE id = ? RETURNING id", {std::string(space_id)}));
  if (rows.rows.empty())
    return fail(Errc::not_found, "no such space");
  return {};
}

Result<void> Spaces::transfer(const SpaceAccess& access, std::string_view new_owner_id) {
  RIS_TRY_VOID(owner_only(access, "hand it over"));
  RIS_TRY(auto member,
          store_.query("SELECT 1 FROM space_members WHERE space_id = ? AND account_id = ?",
                       {access.space_id, std::string(new_owner_id)}));
  if (member.rows.empty())
    return fail(Errc::invalid_argument, "the new owner must be a member of the space");
  RIS_TRY_VOID(store_.query("UPDATE spaces SET owner_id = ? WHERE id = ?",
                            {std::string(new_owner_id), access.space_id}));
  return {};
}

Result<std::vector<Space>> Spaces::browse(std::string_view query, int limit) {
  limit = std::clamp(limit, 1, 100);
  const std::string like = "%" + std::string(query) + "%";
  RIS_TRY(auto rows,
          store_.query(std::string(kSpaceSelect) +
                           "WHERE s.is_public = 1 AND (s.name LIKE ? OR s.description LIKE ?) "
                           "ORDER BY s.id DESC LIMIT ?",
                       {like, like, int64_t{limit}}));
  std::vector<Space> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<std::vector<Space>> Spaces::of_account(std::string_view account_id) {
  RIS_TRY(auto rows,
          store_.query(std::string(kSpaceSelect) +
                           "JOIN space_members me ON me.space_id = s.id AND me.account_id = ? "
                           "ORDER BY s.id",
                       {std::string(account_id)}));
  std::vector<Space> out;
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<void> Spaces::join(const Principal& caller, std::string_view space_id) {
  if (caller.token)
    return fail(Errc::forbidden, "API tokens cannot join spaces");
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto rows,
            tx.query("SELECT is_public FROM spaces WHERE id = ?", {std::string(space_id)}));
    if (rows.rows.empty() || rows.rows[0].get<int64_t>(0) == 0)
      return fail(Errc::not_found,
                  "no such space");  // private spaces are joined by invitation only
    return add_member(tx, space_id, caller.account_id);
  });
}

Result<void> Spaces::leave(const SpaceAccess& access) {
  if (!access.is_member)
    return fail(Errc::not_found, "no such space");
  if (access.member.is_owner)
    return fail(Errc::conflict, "the owner cannot leave: transfer the space or delete it first");
  RIS_TRY_VOID(store_.query("DELETE FROM space_members WHERE space_id = ? AND account_id = ?",
                            {access.space_id, access.member.account_id}));
  return {};
}

}  // namespace ris::identity
