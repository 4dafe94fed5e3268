// open_store: picks the backend named by RIS_DATABASE_URL.
#include <fmt/format.h>
#include <charconv>

#include "meta_repository.hpp"
#include "migrations.hpp"
#include "pg_store.hpp"
#include "ris/store/store.hpp"
#include "sqlite_store.hpp"

namespace ris::store {
namespace {
constexpr std::string_view kSqliteScheme = "sqlite:";
constexpr std::string_view kDefaultFile = "ris.db";
constexpr size_t kDefaultPoolSize = 8;

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://") ||
         url.starts_with("host=") || url.starts_with("dbname=") || url.starts_with("user=") ||
         url.starts_with("service=");
}

// Takes RIS's own `pool_size` parameter out of a postgres:// URL (libpq would refuse it).
Result<std::pair<std::string, size_t>> split_pool_size(std::string_view url) {
  std::string rest(url);
  size_t pool = kDefaultPoolSize;
  const auto q = rest.find('?');
  if (q == std::string::npos)
    return std::pair{rest, pool};
  std::string kept;
  std::string_view params = std::string_view(rest).substr(q + 1);
  while (!params.empty()) {
    const auto amp = params.find('&');
    const auto item = params.substr(0, amp);
    if (item.starts_with("pool_size=")) {
      const auto digits = item.substr(10);
      size_t n = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec != std::errc() || end != digits.data() + digits.size() || n == 0 || n > 1000) {
        return fail(Errc::invalid_argument,
                    "RIS_DATABASE_URL: pool_size must be a whole number from 1 to 1000");
      }
      pool = n;
    } else if (!item.empty()) {
      kept += kept.empty() ? "" : "&";
      kept += item;
    }
    if (amp == std::string_view::npos)
      break;
    params.remove_prefix(amp + 1);
  }
  rest.resize(q);
  if (!kept.empty())
    rest += "?" + kept;
  return std::pair{rest, pool};
}
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
  if (is_postgres_url(database_url)) {
    RIS_TRY(auto parts, split_pool_size(database_url));
    RIS_TRY(auto store, PgStore::open(parts.first, parts.second, postgres_migration_files()));
    RIS_TRY_VOID(ensure_instance_id(*store));
    return std::unique_ptr<Store>(std::move(store));
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
