#include "services_repository.hpp"

#include <algorithm>

namespace ris::services {
namespace {
constexpr std::string_view kSelect =
    "SELECT s.id, s.space_id, s.name, s.version, s.desired_state, s.replicas, "
    "s.restart_generation, s.rollout_state, s.rollout_error, s.created_by, s.created_at, "
    "s.updated_at, v.spec FROM services s JOIN service_versions v ON v.service_id = s.id AND "
    "v.version = s.version";

StoredService from_row(const store::Row& r) {
  StoredService s;
  s.id = r.get<std::string>("id");
  s.space_id = r.get<std::string>("space_id");
  s.name = r.get<std::string>("name");
  s.version = r.get<int64_t>("version");
  s.desired_state = r.get<std::string>("desired_state");
  s.replicas = r.get<int64_t>("replicas");
  s.restart_generation = r.get<int64_t>("restart_generation");
  s.rollout_state = r.get<std::string>("rollout_state");
  s.rollout_error = r.get_optional<std::string>("rollout_error");
  s.created_by = r.get<std::string>("created_by");
  s.created_at = r.get<std::string>("created_at");
  s.updated_at = r.get<std::string>("updated_at");
  s.spec_json = r.get<std::string>("spec");
  return s;
}

std::optional<std::string> first_text(const store::QueryResult& rows) {
  return rows.rows.empty() ? std::nullopt : std::optional(rows.rows[0].get<std::string>(0));
}
}  // namespace

Result<int64_t> ServicesRepository::count_in_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT COUNT(*) FROM services WHERE space_id = ?",
                                  {std::string(space_id)}));
  return rows.rows[0].get<int64_t>(0);
}

Result<void> ServicesRepository::create(const NewService& s) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY_VOID(tx.query(
        "INSERT INTO services (id, space_id, name, version, replicas, created_by, created_at, "
        "updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
        {s.id, s.space_id, s.name, s.replicas, s.created_by, s.created_at, s.created_at}));
    RIS_TRY_VOID(
        tx.query("INSERT INTO service_versions (service_id, version, spec, created_by, "
                 "created_at, reason) VALUES (?, 1, ?, ?, ?, 'create')",
                 {s.id, s.spec_json, s.created_by, s.created_at}));
    return {};
  });
}

Result<std::optional<StoredService>> ServicesRepository::find(std::string_view space_id,
                                                              std::string_view ref) {
  RIS_TRY(auto rows,
          store_.query(std::string(kSelect) + " WHERE s.space_id = ? AND (s.id = ? OR s.name = ?)",
                       {std::string(space_id), std::string(ref), std::string(ref)}));
  if (rows.rows.empty())
    return std::optional<StoredService>();
  return std::optional<StoredService>(from_row(rows.rows[0]));
}

Result<std::vector<StoredService>> ServicesRepository::in_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query(std::string(kSelect) + " WHERE s.space_id = ? ORDER BY s.name",
                                  {std::string(space_id)}));
  std::vector<StoredService> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(from_row(r));
  return out;
}

Result<std::vector<std::string>> ServicesRepository::ids_in_space(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT id FROM services WHERE space_id = ? ORDER BY name",
                                  {std::string(space_id)}));
  std::vector<std::string> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back(r.get<std::string>(0));
  return out;
}

Result<void> ServicesRepository::remove(std::string_view id) {
  RIS_TRY_VOID(store_.query("DELETE FROM services WHERE id = ?", {std::string(id)}));
  return {};
}

Result<void> ServicesRepository::add_version(const NewVersion& v) {
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto max, tx.query("SELECT MAX(version) FROM service_versions WHERE service_id = ?",
                               {v.service_id}));
    const int64_t version = std::max(v.at_least, max.rows[0].get<int64_t>(0) + 1);
    RIS_TRY_VOID(
        tx.query("INSERT INTO service_versions (service_id, version, spec, created_by, "
                 "created_at, reason) VALUES (?, ?, ?, ?, ?, ?)",
                 {v.service_id, version, v.spec_json, v.created_by, v.created_at, v.reason}));
    RIS_TRY_VOID(tx.query(
        "UPDATE services SET version = ?, replicas = ?, rollout_state = ?, rollout_error = NULL, "
        "updated_at = ? WHERE id = ?",
        {version, v.replicas, v.rollout_state, v.created_at, v.service_id}));
    return {};
  });
}

Result<std::optional<std::string>> ServicesRepository::version_spec(std::string_view service_id,
                                                                    int64_t version) {
  RIS_TRY(auto rows,
          store_.query("SELECT spec FROM service_versions WHERE service_id = ? AND version = ?",
                       {std::string(service_id), version}));
  return first_text(rows);
}

Result<std::vector<StoredVersion>> ServicesRepository::versions(std::string_view service_id) {
  RIS_TRY(auto rows, store_.query("SELECT version, spec, created_by, created_at, reason FROM "
                                  "service_versions WHERE service_id = ? ORDER BY version DESC",
                                  {std::string(service_id)}));
  std::vector<StoredVersion> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<int64_t>("version"), r.get<std::string>("spec"),
                   r.get<std::string>("created_by"), r.get<std::string>("created_at"),
                   r.get<std::string>("reason")});
  return out;
}

Result<std::vector<StoredSpec>> ServicesRepository::specs_with_secrets() {
  // Specs are stored as json::serialize writes them (no spaces), so a spec without secrets holds
  // exactly this text; a quote inside a JSON string is escaped, so no value can look like it.
  RIS_TRY(auto rows,
          store_.query("SELECT service_id, version, spec FROM service_versions WHERE spec NOT LIKE "
                       "'%\"secret_env\":{}%' ORDER BY service_id, version"));
  std::vector<StoredSpec> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<int64_t>(1), r.get<std::string>(2)});
  return out;
}

Result<bool> ServicesRepository::replace_version_spec(std::string_view service_id, int64_t version,
                                                      std::string_view old,
                                                      std::string_view spec_json) {
  RIS_TRY(auto r, store_.query("UPDATE service_versions SET spec = ? WHERE service_id = ? AND "
                               "version = ? AND spec = ?",
                               {std::string(spec_json), std::string(service_id), version,
                                std::string(old)}));
  return r.changes > 0;
}

Result<void> ServicesRepository::set_replicas(std::string_view id, int64_t replicas,
                                              const std::string& now) {
  RIS_TRY_VOID(store_.query("UPDATE services SET replicas = ?, updated_at = ? WHERE id = ?",
                            {replicas, now, std::string(id)}));
  return {};
}

Result<void> ServicesRepository::set_desired_state(std::string_view id, const std::string& state,
                                                   const std::string& now) {
  RIS_TRY_VOID(store_.query("UPDATE services SET desired_state = ?, updated_at = ? WHERE id = ?",
                            {state, now, std::string(id)}));
  return {};
}

Result<void> ServicesRepository::restart(std::string_view id, const std::string& now) {
  RIS_TRY_VOID(store_.query(
      "UPDATE services SET restart_generation = restart_generation + 1, desired_state = "
      "'running', rollout_state = 'updating', rollout_error = NULL, updated_at = ? WHERE id = ?",
      {now, std::string(id)}));
  return {};
}

Result<void> ServicesRepository::set_rollout_error(std::string_view id, const std::string& error) {
  RIS_TRY_VOID(
      store_.query("UPDATE services SET rollout_error = ? WHERE id = ?", {error, std::string(id)}));
  return {};
}

Result<void> ServicesRepository::set_rollout(std::string_view id, const std::string& state,
                                             const std::string& error) {
  RIS_TRY_VOID(store_.query("UPDATE services SET rollout_state = ?, rollout_error = ? WHERE id = ?",
                            {state, error, std::string(id)}));
  return {};
}

Result<void> ServicesRepository::complete_rollout(std::string_view id) {
  RIS_TRY_VOID(
      store_.query("UPDATE services SET rollout_state = 'complete' WHERE id = ? AND "
                   "rollout_state = 'updating'",
                   {std::string(id)}));
  return {};
}

Result<std::vector<StoredReport>> ServicesRepository::reports(std::string_view service_id) {
  RIS_TRY(auto rows, store_.query("SELECT agent_id, report, updated_at FROM service_reports WHERE "
                                  "service_id = ? ORDER BY agent_id",
                                  {std::string(service_id)}));
  std::vector<StoredReport> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)});
  return out;
}

Result<std::optional<std::string>> ServicesRepository::report(std::string_view service_id,
                                                              std::string_view agent_id) {
  RIS_TRY(auto rows,
          store_.query("SELECT report FROM service_reports WHERE service_id = ? AND agent_id = ?",
                       {std::string(service_id), std::string(agent_id)}));
  return first_text(rows);
}

Result<void> ServicesRepository::save_report(std::string_view service_id, std::string_view agent_id,
                                             const std::string& report_json,
                                             const std::string& now) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO service_reports (service_id, agent_id, report, updated_at) VALUES (?, ?, ?, "
      "?) ON CONFLICT (service_id, agent_id) DO UPDATE SET report = excluded.report, "
      "updated_at = excluded.updated_at",
      {std::string(service_id), std::string(agent_id), report_json, now}));
  return {};
}

Result<void> ServicesRepository::insert_archive(const ImageArchiveInfo& a) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO image_archives (id, space_id, image, format, sha256, size, created_by, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {a.id, a.space_id, a.image, a.format, a.sha256, a.size, a.created_by, a.created_at}));
  return {};
}

Result<std::vector<ImageArchiveInfo>> ServicesRepository::archives(std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT id, space_id, image, format, sha256, size, created_by, "
                                  "created_at FROM image_archives WHERE space_id = ? ORDER BY id",
                                  {std::string(space_id)}));
  std::vector<ImageArchiveInfo> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows)
    out.push_back({r.get<std::string>("id"), r.get<std::string>("space_id"),
                   r.get<std::string>("image"), r.get<std::string>("format"),
                   r.get<std::string>("sha256"), r.get<std::string>("created_by"),
                   r.get<std::string>("created_at"), r.get<int64_t>("size")});
  return out;
}

Result<bool> ServicesRepository::remove_archive(std::string_view id, std::string_view space_id) {
  RIS_TRY(auto rows,
          store_.query("DELETE FROM image_archives WHERE id = ? AND space_id = ? RETURNING id",
                       {std::string(id), std::string(space_id)}));
  return !rows.rows.empty();
}

Result<std::optional<std::string>> ServicesRepository::archive_format(std::string_view id,
                                                                      std::string_view space_id) {
  RIS_TRY(auto rows, store_.query("SELECT format FROM image_archives WHERE id = ? AND space_id = ?",
                                  {std::string(id), std::string(space_id)}));
  return first_text(rows);
}

}  // namespace ris::services
