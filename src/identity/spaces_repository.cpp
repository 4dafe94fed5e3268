// SQL for spaces. Portable SQL only (SQLite and PostgreSQL 15). Space names and descriptions
// are plain TEXT on both engines: a case-insensitive search compares lower() of both sides
// (PostgreSQL's LIKE is case-sensitive, SQLite's is not).
#include "spaces_repository.hpp"

namespace ris::identity {
namespace {
constexpr std::string_view kSelect =
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

std::vector<Space> from_rows(const store::QueryResult& rows) {
  std::vector<Space> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}
}  // namespace

Result<void> SpacesRepository::insert(const Space& s) {
  RIS_TRY_VOID(
      store_.query("INSERT INTO spaces (id, name, description, is_public, owner_id, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {s.id, s.name, s.description, int64_t{s.is_public}, s.owner_id, s.created_at}));
  return {};
}

Result<std::optional<Space>> SpacesRepository::find(std::string_view id) {
  RIS_TRY(auto rows, store_.query(std::string(kSelect) + "WHERE s.id = ?", {std::string(id)}));
  if (rows.rows.empty())
    return std::optional<Space>();
  return std::optional<Space>(from_row(rows.rows[0]));
}

Result<std::optional<SpaceHeader>> SpacesRepository::header(std::string_view id) {
  RIS_TRY(auto rows, store_.query("SELECT name, owner_id, is_public FROM spaces WHERE id = ?",
                                  {std::string(id)}));
  if (rows.rows.empty())
    return std::optional<SpaceHeader>();
  const auto& r = rows.rows[0];
  return std::optional<SpaceHeader>(
      SpaceHeader{r.get<std::string>(0), r.get<std::string>(1), r.get<int64_t>(2) != 0});
}

Result<std::vector<Space>> SpacesRepository::browse_public(std::string_view text, int64_t limit) {
  const std::string like = "%" + std::string(text) + "%";
  RIS_TRY(auto rows,
          store_.query(std::string(kSelect) + "WHERE s.is_public = 1 AND (lower(s.name) LIKE "
                                              "lower(CAST(? AS TEXT)) OR lower(s.description) LIKE "
                                              "lower(CAST(? AS TEXT))) ORDER BY s.id DESC LIMIT ?",
                       {like, like, limit}));
  return from_rows(rows);
}

Result<std::vector<Space>> SpacesRepository::of_account(std::string_view account_id) {
  RIS_TRY(auto rows,
          store_.query(std::string(kSelect) + "JOIN space_members me ON me.space_id = s.id AND "
                                              "me.account_id = ? ORDER BY s.id",
                       {std::string(account_id)}));
  return from_rows(rows);
}

Result<std::vector<std::string>> SpacesRepository::names_owned_by(std::string_view account_id) {
  RIS_TRY(auto rows, store_.query("SELECT name FROM spaces WHERE owner_id = ? ORDER BY name, id",
                                  {std::string(account_id)}));
  std::vector<std::string> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(r.get<std::string>(0));
  return out;
}

Result<void> SpacesRepository::update(std::string_view id, const SpaceChanges& c) {
  const std::string space(id);
  if (c.name)
    RIS_TRY_VOID(store_.query("UPDATE spaces SET name = ? WHERE id = ?", {*c.name, space}));
  if (c.description)
    RIS_TRY_VOID(
        store_.query("UPDATE spaces SET description = ? WHERE id = ?", {*c.description, space}));
  if (c.is_public)
    RIS_TRY_VOID(store_.query("UPDATE spaces SET is_public = ? WHERE id = ?",
                              {int64_t{*c.is_public}, space}));
  return {};
}

Result<void> SpacesRepository::set_owner(std::string_view id, std::string_view owner_id) {
  RIS_TRY_VOID(store_.query("UPDATE spaces SET owner_id = ? WHERE id = ?",
                            {std::string(owner_id), std::string(id)}));
  return {};
}

Result<bool> SpacesRepository::remove(std::string_view id) {
  RIS_TRY(auto rows,
          store_.query("DELETE FROM spaces WHERE id = ? RETURNING id", {std::string(id)}));
  return !rows.rows.empty();
}

}  // namespace ris::identity
