// SQL for invitations. Portable SQL only (SQLite and PostgreSQL 15).
#include "invitations_repository.hpp"

namespace ris::identity {
namespace {
constexpr std::string_view kSelect =
    "SELECT i.code, i.space_id, s.name AS space_name, i.created_by, i.created_at, i.expires_at, "
    "i.revoked_at, i.max_uses, i.uses FROM invitations i JOIN spaces s ON s.id = i.space_id ";

Invitation from_row(const store::Row& r) {
  Invitation i;
  i.code = r.get<std::string>("code");
  i.space_id = r.get<std::string>("space_id");
  i.space_name = r.get<std::string>("space_name");
  i.created_by = r.get<std::string>("created_by");
  i.created_at = r.get<std::string>("created_at");
  i.expires_at = r.get_optional<std::string>("expires_at");
  i.revoked_at = r.get_optional<std::string>("revoked_at");
  i.max_uses = r.get<int64_t>("max_uses");
  i.uses = r.get<int64_t>("uses");
  return i;
}
}  // namespace

Result<void> InvitationsRepository::insert(const Invitation& i) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO invitations (code, space_id, created_by, created_at, expires_at, max_uses) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {i.code, i.space_id, i.created_by, i.created_at,
       i.expires_at ? store::Value(*i.expires_at) : store::Value(), i.max_uses}));
  return {};
}

Result<std::optional<Invitation>> InvitationsRepository::find(std::string_view code) {
  RIS_TRY(auto rows, store_.query(std::string(kSelect) + "WHERE i.code = ?", {std::string(code)}));
  if (rows.rows.empty())
    return std::optional<Invitation>();
  return std::optional<Invitation>(from_row(rows.rows[0]));
}

Result<std::vector<Invitation>> InvitationsRepository::of_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query(std::string(kSelect) +
                                      "WHERE i.space_id = ? ORDER BY i.created_at DESC, i.code",
                                  {std::string(space_id)}));
  std::vector<Invitation> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<std::optional<std::string>> InvitationsRepository::creator(std::string_view code,
                                                                  std::string_view space_id) {
  RIS_TRY(auto rows,
          store_.query("SELECT created_by FROM invitations WHERE code = ? AND space_id = ?",
                       {std::string(code), std::string(space_id)}));
  if (rows.rows.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(rows.rows[0].get<std::string>(0));
}

Result<void> InvitationsRepository::revoke(std::string_view code, std::string_view now) {
  RIS_TRY_VOID(
      store_.query("UPDATE invitations SET revoked_at = COALESCE(revoked_at, ?) WHERE code = ?",
                   {std::string(now), std::string(code)}));
  return {};
}

Result<void> InvitationsRepository::count_use(std::string_view code) {
  RIS_TRY_VOID(
      store_.query("UPDATE invitations SET uses = uses + 1 WHERE code = ?", {std::string(code)}));
  return {};
}

}  // namespace ris::identity
