#include "cluster_files_repository.hpp"

namespace ris::cluster {

Result<std::optional<std::string>> ClusterFilesRepository::get(std::string_view name) {
  RIS_TRY(auto r,
          store_.query("SELECT content FROM cluster_files WHERE name = ?", {std::string(name)}));
  if (r.rows.empty())
    return std::optional<std::string>();
  return std::optional<std::string>(r.rows[0].get<std::string>(0));
}

Result<std::string> ClusterFilesRepository::put_if_absent(std::string_view name,
                                                          const std::string& content,
                                                          const std::string& now) {
  RIS_TRY_VOID(store_.query(
      "INSERT INTO cluster_files (name, content, created_at) VALUES (?, ?, ?) ON CONFLICT (name) "
      "DO NOTHING",
      {std::string(name), content, now}));
  RIS_TRY(auto stored, get(name));
  if (!stored)
    return fail(Errc::internal, "cluster file " + std::string(name) + " vanished after insert");
  return *stored;
}

Result<void> ClusterFilesRepository::replace(std::string_view name, const std::string& content) {
  RIS_TRY_VOID(store_.query("UPDATE cluster_files SET content = ? WHERE name = ?",
                            {content, std::string(name)}));
  return {};
}

}  // namespace ris::cluster
