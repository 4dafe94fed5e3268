// open_store: picks the backend named by RIS_DATABASE_URL.
#include <fmt/format.h>

#include "meta_repository.hpp"
#include "migrations.hpp"
#include "ris/store/store.hpp"
#include "sqlite_store.hpp"

namespace ris::store {
namespace {
constexpr std::string_view kSqliteScheme = "sqlite:";
constexpr std::string_view kDefaultFile = "ris.db";
}  // namespace

Result<std::unique_ptr<Store>> open_store(std::string_view database_url,
                                          const std::filesystem::path& data_dir) {
  if (database_url.empty() || database_url.starts_with(kSqliteScheme)) {
    const std::string_view rest =
        database_url.empty() ? std::string_view() : database_url.substr(kSqliteScheme.size());
    const std::filesystem::path file(rest.empty() ? kDefaultFile : rest);
    const std::filesystem::path path = file.is_absolute() ? file : data_dir / file;
    RIS_TRY(auto store, SqliteStore::open(path, sqlite_migration_files()));
    RIS_TRY_VOID(ensure_instance_id(*store));
    return std::unique_ptr<Store>(std::move(store));
  }
  if (database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
    return fail(Errc::unavailable,
                "RIS_DATABASE_URL names a PostgreSQL database, but this build of RIS has no "
                "PostgreSQL backend yet; leave RIS_DATABASE_URL empty (or use sqlite:<path>) "
                "to use SQLite");
  }
  // The URL itself is not echoed: it may carry a password.
  const auto colon = database_url.find(':');
  const std::string scheme = colon == std::string_view::npos
                                 ? std::string("no scheme")
                                 : fmt::format("scheme \"{}\"", database_url.substr(0, colon));
  return fail(Errc::invalid_argument,
              fmt::format("RIS_DATABASE_URL is not a database URL RIS understands ({}); use "
                          "empty or sqlite: (<data-dir>/ris.db), sqlite:<path>, or "
                          "postgres://user@host/db",
                          scheme));
}

}  // namespace ris::store
