// Reading the migration files' names; shared by every backend.
#include "migrations.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>

namespace ris::store {

Result<std::vector<Migration>> parse_migrations(std::span<const EmbeddedFile> files) {
  std::vector<Migration> out;
  for (const auto& f : files) {
    const auto underscore = f.name.find('_');
    const bool sql_suffix = f.name.ends_with(".sql");
    int version = 0;
    const char* digits_end =
        f.name.data() + (underscore == std::string_view::npos ? 0 : underscore);
    const auto [end, ec] = std::from_chars(f.name.data(), digits_end, version);
    if (underscore == std::string_view::npos || !sql_suffix || ec != std::errc() ||
        end != digits_end || version <= 0) {
      return fail(Errc::internal,
                  fmt::format("migration file \"{}\" is not named NNNN_name.sql", f.name));
    }
    const auto name = f.name.substr(underscore + 1, f.name.size() - underscore - 1 - 4);
    out.push_back(Migration{version, f.name, name, f.data});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].version != static_cast<int>(i) + 1) {
      return fail(Errc::internal,
                  fmt::format("migration files must be numbered 1, 2, 3... without gaps or "
                              "repeats; \"{}\" is out of sequence",
                              out[i].file));
    }
  }
  return out;
}

}  // namespace ris::store
