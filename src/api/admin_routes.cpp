// Instance administration by application-wide roles: list accounts (UserModerator), set an
// account's application roles (ApplicationAdministrator), delete any space (ServerModerator),
// rotate the token signing key and take a backup (ApplicationAdministrator). Tokens never carry
// these powers.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "endpoint.hpp"
#include "ris/core/ids.hpp"
#include "ris/security/digest.hpp"

namespace ris::api {
namespace {

Result<void> need_role(const Call& c, std::initializer_list<std::string_view> roles) {
  if (!c.caller.token)
    for (auto r : roles)
      if (c.caller.has_app_role(r))
        return {};
  return fail(Errc::forbidden,
              "this needs an application-wide role: " + std::string(*roles.begin()));
}

Result<net::Response> list_accounts(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kUserModerator, identity::kApplicationAdministrator}));
  int limit = 100;
  if (auto l = c.req.query_param("limit"); !l.empty())
    limit = std::atoi(std::string(l).c_str());
  RIS_TRY(auto list, c.ctx.accounts.search(c.req.query_param("q"), limit));
  boost::json::array out;
  for (const auto& a : list)
    out.push_back(account_json(a));
  return net::json_response(200, boost::json::object{{"items", std::move(out)}});
}

Result<net::Response> set_app_roles(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kApplicationAdministrator}));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.req.params["account"];
  c.audit_details = body;
  std::vector<std::string> roles;
  if (auto* r = body.if_contains("app_roles"); r && r->is_array())
    for (const auto& v : r->as_array())
      if (v.is_string())
        roles.emplace_back(v.as_string());
  if (c.target == c.caller.account_id &&
      std::find(roles.begin(), roles.end(), identity::kApplicationAdministrator) == roles.end())
    return fail(Errc::conflict, "you cannot remove your own ApplicationAdministrator role");
  RIS_TRY(auto a, c.ctx.accounts.set_app_roles(c.target, roles));
  return net::json_response(200, account_json(a));
}

Result<net::Response> delete_any_space(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kServerModerator, identity::kApplicationAdministrator}));
  c.space_id = c.target = c.req.params["space"];
  RIS_TRY_VOID(c.ctx.spaces.remove_any(c.target));
  return no_content();
}

Result<net::Response> rotate_jwt_key(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kApplicationAdministrator}));
  RIS_TRY_VOID(c.ctx.sessions.rotate_keys());
  return net::json_response(200, c.ctx.sessions.jwks());
}

// The API sends a backup as one response held in memory: past this, use scheduled backups,
// which risd writes to its own disk (--backup-interval, docs/operations.md).
constexpr std::uintmax_t kMaxBackupResponseBytes = std::uintmax_t{1} << 30;

// A consistent online copy of the SQLite database, sent back whole. It runs on the worker pool
// (endpoint() posts it there), is written to a temporary file in the data directory, read, and
// removed before the answer goes out.
Result<net::Response> create_backup(Call& c) {
  RIS_TRY_VOID(need_role(c, {identity::kApplicationAdministrator}));
  if (c.ctx.store.engine() != store::Engine::sqlite)
    return fail(Errc::invalid_argument,
                "risd on PostgreSQL does not copy the database itself: back it up with "
                "pg_dump (logical) or pg_basebackup with WAL archiving (physical, point in "
                "time); see docs/operations.md");
  const std::string name = fmt::format(
      "ris-backup-{:%Y%m%dT%H%M%SZ}.db",
      fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
  c.target = name;
  const auto temp = c.ctx.config.data_dir / (".backup-" + new_id() + ".db");
  struct Remove {
    const std::filesystem::path& path;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  } remove_temp{temp};
  RIS_TRY_VOID(c.ctx.store.backup_to(temp));
  std::error_code ec;
  const auto size = std::filesystem::file_size(temp, ec);
  if (ec)
    return fail(Errc::internal, "backup: " + ec.message());
  if (size > kMaxBackupResponseBytes)
    return fail(Errc::too_large,
                fmt::format("the database is {} MiB, more than the API sends ({} MiB): use "
                            "scheduled backups (--backup-interval, written under --backup-dir on "
                            "the server); see docs/operations.md",
                            size >> 20, kMaxBackupResponseBytes >> 20));
  std::ifstream in(temp, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    return fail(Errc::internal, "backup: cannot read " + temp.string());
  const std::string sha256 = security::sha256_hex(bytes);
  c.audit_details = {{"bytes", static_cast<int64_t>(bytes.size())}, {"sha256", sha256}};
  net::Response r;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
  r.headers.emplace_back("X-Backup-Sha256", sha256);
  r.body = std::move(bytes);
  return r;
}

}  // namespace

void register_admin_routes(net::Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/admin/accounts", endpoint(ctx, "admin.account.list", list_accounts));
  router.add("PUT", "/api/v1/admin/accounts/{account}/app_roles",
             endpoint(ctx, "admin.account.app_roles", set_app_roles));
  router.add("DELETE", "/api/v1/admin/spaces/{space}",
             endpoint(ctx, "admin.space.delete", delete_any_space));
  router.add("POST", "/api/v1/admin/jwt/rotate", endpoint(ctx, "admin.jwt.rotate", rotate_jwt_key));
  router.add("POST", "/api/v1/admin/backups", endpoint(ctx, "admin.backup.create", create_backup));
}

}  // namespace ris::api
