// SQL for the meta table. Portable SQL only (runs unchanged on SQLite and PostgreSQL).
#include "meta_repository.hpp"

#include "ris/core/ids.hpp"
#include "ris/store/meta.hpp"

namespace ris::store {
namespace {
constexpr std::string_view kInstanceIdKey = "instance_id";
}  // namespace

Result<std::string> instance_id(Store& store) {
  RIS_TRY(auto r,
          store.query("SELECT value FROM meta WHERE key = ?", {std::string(kInstanceIdKey)}));
  if (r.rows.empty())
    return fail(Errc::not_found, "the database has no instance id");
  return r.rows[0].get<std::string>(0);
}

Result<std::string> ensure_instance_id(Store& store) {
  RIS_TRY_VOID(
      store.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                  {std::string(kInstanceIdKey), new_id()}));
  return instance_id(store);
}

}  // namespace ris::store
