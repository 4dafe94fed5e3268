#include "kv_repository.hpp"

#include <fmt/format.h>

#include <map>

namespace ris::kv {
namespace {

constexpr std::string_view kKeyColumns =
    "key, value, content_type, create_revision, mod_revision, version, expires_at";
// A key whose TTL passed is gone, whether or not the expiry duty has deleted it yet.
constexpr std::string_view kLive = "(expires_at IS NULL OR expires_at > ?)";
// `key` starts with the parameter (given twice). length() of an untyped parameter is
// ambiguous on PostgreSQL: say it is text.
constexpr std::string_view kUnderPrefix = "substr(key, 1, length(CAST(? AS TEXT))) = ?";

Entry entry_from(const store::Row& r) {
  return Entry{r.get<std::string>("key"),
               r.get<std::string>("value"),
               r.get<std::string>("content_type"),
               r.get<int64_t>("create_revision"),
               r.get<int64_t>("mod_revision"),
               r.get<int64_t>("version"),
               r.get_optional<std::string>("expires_at")};
}

Change change_from(const store::Row& r) {
  Change c;
  c.revision = r.get<int64_t>("revision");
  c.key = r.get<std::string>("key");
  c.op = r.get<std::string>("op");
  if (!r.is_null("value"))
    c.value = r.get<std::string>("value");
  c.content_type = r.get_optional<std::string>("content_type");
  c.at = r.get<std::string>("at");
  return c;
}

// The space's revision (a row made at the first write), inside a write transaction.
Result<int64_t> revision_of(store::Store& tx, std::string_view space_id) {
  RIS_TRY(auto rows,
          tx.query("SELECT revision FROM kv_spaces WHERE space_id = ?", {std::string(space_id)}));
  if (!rows.rows.empty())
    return rows.rows[0].get<int64_t>(0);
  RIS_TRY_VOID(tx.query("INSERT INTO kv_spaces (space_id, revision) VALUES (?, 0)",
                        {std::string(space_id)}));
  return int64_t{0};
}

// Raises the space's revision to `revision`, trimming the change log now and then.
Result<void> advance(store::Store& tx, std::string_view space_id, int64_t revision) {
  RIS_TRY_VOID(tx.query("UPDATE kv_spaces SET revision = ? WHERE space_id = ?",
                        {revision, std::string(space_id)}));
  if (revision % 100 == 0 && revision > kKeptChanges) {
    const int64_t upto = revision - kKeptChanges;
    RIS_TRY_VOID(tx.query("DELETE FROM kv_changes WHERE space_id = ? AND revision <= ?",
                          {std::string(space_id), upto}));
    RIS_TRY_VOID(tx.query("UPDATE kv_spaces SET compacted = ? WHERE space_id = ?",
                          {upto, std::string(space_id)}));
  }
  return {};
}

Result<void> log_change(store::Store& tx, std::string_view space_id, int64_t revision,
                        std::string_view key, std::string_view op,
                        const std::optional<std::string>& value,
                        const std::optional<std::string>& content_type, const std::string& at) {
  RIS_TRY_VOID(
      tx.query("INSERT INTO kv_changes (space_id, revision, key, op, value, "
               "content_type, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               {std::string(space_id), revision, std::string(key), std::string(op),
                value ? store::Value(store::Blob::of(*value)) : store::Value(nullptr),
                store::nullable(content_type), at}));
  return {};
}

Result<std::optional<Entry>> live_key(store::Store& tx, std::string_view space_id,
                                      std::string_view key, const std::string& now) {
  RIS_TRY(auto rows, tx.query(fmt::format("SELECT {} FROM kv_keys WHERE space_id = ? AND key = ? "
                                          "AND {}",
                                          kKeyColumns, kLive),
                              {std::string(space_id), std::string(key), now}));
  if (rows.rows.empty())
    return std::optional<Entry>();
  return std::optional<Entry>(entry_from(rows.rows[0]));
}

Failure stale(std::string_view key, int64_t current, int64_t expected) {
  return fail(Errc::conflict,
              current == 0
                  ? fmt::format("\"{}\" does not exist (expected revision {})", key, expected)
                  : fmt::format("\"{}\" is at revision {} (expected {})", key, current, expected));
}

}  // namespace

Result<Written> KvRepository::put(std::string_view space_id, std::string_view key,
                                  const std::string& value, const std::string& content_type,
                                  const PutOptions& options, const std::string& now,
                                  const std::optional<std::string>& expires_at) {
  Written out;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(const int64_t current, revision_of(tx, space_id));
    RIS_TRY(auto existing, live_key(tx, space_id, key, now));
    if (existing && options.create_only)
      return fail(Errc::conflict,
                  fmt::format("\"{}\" exists (revision {})", key, existing->mod_revision));
    const int64_t at = existing ? existing->mod_revision : 0;
    if (options.expected_revision && *options.expected_revision != at)
      return stale(key, at, *options.expected_revision);
    const int64_t revision = current + 1;
    Entry e{std::string(key), value,
            content_type,     existing ? existing->create_revision : revision,
            revision,         existing ? existing->version + 1 : 1,
            expires_at};
    RIS_TRY_VOID(advance(tx, space_id, revision));
    RIS_TRY_VOID(tx.query(
        "INSERT INTO kv_keys (space_id, key, value, content_type, create_revision, mod_revision, "
        "version, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (space_id, key) DO "
        "UPDATE SET value = excluded.value, content_type = excluded.content_type, "
        "create_revision = excluded.create_revision, mod_revision = excluded.mod_revision, "
        "version = excluded.version, expires_at = excluded.expires_at",
        {std::string(space_id), e.key, store::Blob::of(value), content_type, e.create_revision,
         e.mod_revision, e.version, store::nullable(expires_at)}));
    RIS_TRY_VOID(log_change(tx, space_id, revision, key, "put", value, content_type, now));
    out = Written{std::move(e), revision};
    return {};
  }));
  return out;
}

Result<int64_t> KvRepository::remove(std::string_view space_id, std::string_view key,
                                     std::optional<int64_t> expected_revision,
                                     const std::string& now) {
  int64_t revision = 0;
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(const int64_t current, revision_of(tx, space_id));
    RIS_TRY(auto existing, live_key(tx, space_id, key, now));
    const int64_t at = existing ? existing->mod_revision : 0;
    if (expected_revision && *expected_revision != at)
      return stale(key, at, *expected_revision);
    if (!existing)
      return fail(Errc::not_found, fmt::format("no key \"{}\"", key));
    revision = current + 1;
    RIS_TRY_VOID(advance(tx, space_id, revision));
    RIS_TRY_VOID(tx.query("DELETE FROM kv_keys WHERE space_id = ? AND key = ?",
                          {std::string(space_id), std::string(key)}));
    return log_change(tx, space_id, revision, key, "delete", std::nullopt, std::nullopt, now);
  }));
  return revision;
}

Result<std::optional<Entry>> KvRepository::get(std::string_view space_id, std::string_view key,
                                               const std::string& now) {
  return live_key(store_, space_id, key, now);
}

Result<Listing> KvRepository::list(std::string_view space_id, std::string_view prefix,
                                   std::string_view after, int64_t limit, const std::string& now) {
  Listing out;
  // One snapshot: the keys and the revision they were read at agree.
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    out = {};
    RIS_TRY(auto head,
            tx.query("SELECT revision FROM kv_spaces WHERE space_id = ?", {std::string(space_id)}));
    out.revision = head.rows.empty() ? 0 : head.rows[0].get<int64_t>(0);
    RIS_TRY(auto rows,
            tx.query(fmt::format("SELECT {} FROM kv_keys WHERE space_id = ? AND {} AND {} AND "
                                 "key > ? ORDER BY key LIMIT ?",
                                 kKeyColumns, kUnderPrefix, kLive),
                     {std::string(space_id), std::string(prefix), std::string(prefix), now,
                      std::string(after), limit}));
    for (const auto& r : rows.rows)
      out.items.push_back(entry_from(r));
    return {};
  }));
  return out;
}

Result<std::optional<Entry>> KvRepository::touch(std::string_view space_id, std::string_view key,
                                                 const std::string& expires_at,
                                                 const std::string& now) {
  RIS_TRY(auto r, store_.query(fmt::format("UPDATE kv_keys SET expires_at = ? WHERE space_id = ? "
                                           "AND key = ? AND {}",
                                           kLive),
                               {expires_at, std::string(space_id), std::string(key), now}));
  if (r.changes == 0)
    return std::optional<Entry>();
  return live_key(store_, space_id, key, now);
}

Result<std::vector<Change>> KvRepository::history(std::string_view space_id, std::string_view key,
                                                  int64_t limit) {
  RIS_TRY(auto rows, store_.query("SELECT revision, key, op, value, content_type, at FROM "
                                  "kv_changes WHERE space_id = ? AND key = ? ORDER BY revision "
                                  "DESC LIMIT ?",
                                  {std::string(space_id), std::string(key), limit}));
  std::vector<Change> out;
  for (const auto& r : rows.rows)
    out.push_back(change_from(r));
  return out;
}

Result<ChangesPage> KvRepository::changes(std::string_view space_id, std::string_view prefix,
                                          int64_t after_revision, int64_t limit) {
  ChangesPage page;
  // One snapshot: the revision read and the changes up to it agree.
  RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
    page = {};
    RIS_TRY(auto head, tx.query("SELECT revision, compacted FROM kv_spaces WHERE space_id = ?",
                                {std::string(space_id)}));
    const int64_t revision = head.rows.empty() ? 0 : head.rows[0].get<int64_t>(0);
    const int64_t compacted = head.rows.empty() ? 0 : head.rows[0].get<int64_t>(1);
    if (after_revision < compacted)
      return fail(Errc::conflict,
                  fmt::format("compacted: changes up to revision {} are no longer kept; list the "
                              "keys and watch from the revision that answers",
                              compacted));
    RIS_TRY(auto rows,
            tx.query(fmt::format("SELECT revision, key, op, value, content_type, at FROM "
                                 "kv_changes WHERE space_id = ? AND revision > ? AND {} ORDER BY "
                                 "revision LIMIT ?",
                                 kUnderPrefix),
                     {std::string(space_id), after_revision, std::string(prefix),
                      std::string(prefix), limit}));
    for (const auto& r : rows.rows)
      page.items.push_back(change_from(r));
    page.revision =
        static_cast<int64_t>(page.items.size()) == limit ? page.items.back().revision : revision;
    return {};
  }));
  return page;
}

Result<std::vector<std::string>> KvRepository::expire(const std::string& now, int64_t limit,
                                                      const cluster::Fence& fence) {
  RIS_TRY(auto rows, store_.query("SELECT space_id, key FROM kv_keys WHERE expires_at IS NOT NULL "
                                  "AND expires_at <= ? ORDER BY expires_at LIMIT ?",
                                  {now, limit}));
  std::map<std::string, std::vector<std::string>> by_space;
  for (const auto& r : rows.rows)
    by_space[r.get<std::string>(0)].push_back(r.get<std::string>(1));
  std::vector<std::string> spaces;
  for (const auto& [space, keys] : by_space) {
    RIS_TRY_VOID(store_.transaction([&](store::Store& tx) -> Result<void> {
      RIS_TRY_VOID(fence(tx));
      RIS_TRY(int64_t revision, revision_of(tx, space));
      for (const auto& key : keys) {
        RIS_TRY(auto gone, tx.query("DELETE FROM kv_keys WHERE space_id = ? AND key = ? AND "
                                    "expires_at IS NOT NULL AND expires_at <= ?",
                                    {space, key, now}));
        if (gone.changes == 0)
          continue;  // touched or rewritten meanwhile
        ++revision;
        RIS_TRY_VOID(advance(tx, space, revision));
        RIS_TRY_VOID(
            log_change(tx, space, revision, key, "expire", std::nullopt, std::nullopt, now));
      }
      return {};
    }));
    spaces.push_back(space);
  }
  return spaces;
}

}  // namespace ris::kv
