#include "ris/kv/kv.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include <algorithm>

#include "kv_repository.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"

namespace ris::kv {
namespace {
using namespace std::chrono;

constexpr std::string_view kSubject = "kv.changed";  // message: the space id

Result<void> check_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes)
    return fail(Errc::invalid_argument, "a key has 1 to 512 bytes");
  if (key.front() == '/')
    return fail(Errc::invalid_argument, "a key does not start with '/'");
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f)
      return fail(Errc::invalid_argument, "a key has no control characters");
  return {};
}

// The resource a key's permissions are checked on: its first segment.
std::string resource_of(std::string_view key) {
  return std::string(key.substr(0, key.find('/')));
}

Result<void> require_kv(store::Store& store, const identity::SpaceAccess& access,
                        std::string_view key) {
  RIS_TRY_VOID(identity::require(access, 0));  // a member at all
  RIS_TRY(auto perms, identity::resource_permissions(store, access, "kv", resource_of(key)));
  if ((perms & identity::kUseKv) == 0)
    return fail(Errc::forbidden, "you need the USE_KV permission");
  return {};
}

}  // namespace

Kv::Kv(store::Store& store, bus::Bus* bus) : store_(store), bus_(bus) {
  if (bus_)
    subscription_ =
        bus_->subscribe(std::string(kSubject), [this](std::string_view, const bus::Message& m) {
          if (m)
            changed(*m, false);
        });
}

Kv::~Kv() {
  subscription_.reset();
}

void Kv::changed(const std::string& space_id, bool tell_others) {
  wakeups_.notify(space_id);
  if (tell_others && bus_)
    bus_->publish(kSubject, std::make_shared<const std::string>(space_id));
}

void Kv::wait_for_change(const std::string& space_id, std::function<void()> resume) {
  wakeups_.wait(space_id, std::move(resume));
}

Result<Written> Kv::put(const identity::SpaceAccess& access, std::string_view key,
                        std::string value, std::string content_type, const PutOptions& options) {
  RIS_TRY_VOID(check_key(key));
  RIS_TRY_VOID(require_kv(store_, access, key));
  if (value.size() > kMaxValueBytes)
    return fail(Errc::too_large,
                fmt::format("a value has at most 1 MiB ({} bytes given)", value.size()));
  if (content_type.empty())
    content_type = "application/octet-stream";
  if (content_type.starts_with("application/json")) {
    boost::json::error_code ec;
    (void)boost::json::parse(value, ec);
    if (ec)
      return fail(Errc::invalid_argument,
                  "the value is sent as application/json but is not JSON: " + ec.message());
    content_type = "application/json";
  }
  if (options.create_only && options.expected_revision)
    return fail(Errc::invalid_argument, "give create_only or expected_revision, not both");
  std::optional<std::string> expires_at;
  if (options.ttl_seconds) {
    if (*options.ttl_seconds < 1 || *options.ttl_seconds > 365 * 86400)
      return fail(Errc::invalid_argument, "ttl_seconds must be between 1 and 31536000");
    expires_at = to_rfc3339(system_clock::now() + seconds(*options.ttl_seconds));
  }
  RIS_TRY(auto written, KvRepository(store_).put(access.space_id, key, value, content_type, options,
                                                 now_rfc3339(), expires_at));
  changed(access.space_id, true);
  return written;
}

Result<Entry> Kv::get(const identity::SpaceAccess& access, std::string_view key) {
  RIS_TRY_VOID(check_key(key));
  RIS_TRY_VOID(require_kv(store_, access, key));
  RIS_TRY(auto e, KvRepository(store_).get(access.space_id, key, now_rfc3339()));
  if (!e)
    return fail(Errc::not_found, fmt::format("no key \"{}\"", key));
  return std::move(*e);
}

Result<Listing> Kv::list(const identity::SpaceAccess& access, std::string_view prefix,
                         std::string_view after, int limit) {
  RIS_TRY_VOID(require_kv(store_, access, prefix));
  if (limit < 1 || limit > 1000)
    return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  return KvRepository(store_).list(access.space_id, prefix, after, limit, now_rfc3339());
}

Result<int64_t> Kv::remove(const identity::SpaceAccess& access, std::string_view key,
                           std::optional<int64_t> expected_revision) {
  RIS_TRY_VOID(check_key(key));
  RIS_TRY_VOID(require_kv(store_, access, key));
  RIS_TRY(auto revision,
          KvRepository(store_).remove(access.space_id, key, expected_revision, now_rfc3339()));
  changed(access.space_id, true);
  return revision;
}

Result<Entry> Kv::touch(const identity::SpaceAccess& access, std::string_view key,
                        int64_t ttl_seconds) {
  RIS_TRY_VOID(check_key(key));
  RIS_TRY_VOID(require_kv(store_, access, key));
  if (ttl_seconds < 1 || ttl_seconds > 365 * 86400)
    return fail(Errc::invalid_argument, "ttl_seconds must be between 1 and 31536000");
  RIS_TRY(auto e, KvRepository(store_).touch(access.space_id, key,
                                             to_rfc3339(system_clock::now() + seconds(ttl_seconds)),
                                             now_rfc3339()));
  if (!e)
    return fail(Errc::not_found, fmt::format("no key \"{}\"", key));
  return std::move(*e);
}

Result<std::vector<Change>> Kv::history(const identity::SpaceAccess& access, std::string_view key,
                                        int limit) {
  RIS_TRY_VOID(check_key(key));
  RIS_TRY_VOID(require_kv(store_, access, key));
  if (limit < 1 || limit > 1000)
    return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  return KvRepository(store_).history(access.space_id, key, limit);
}

Result<ChangesPage> Kv::changes(const identity::SpaceAccess& access, std::string_view prefix,
                                int64_t after_revision, int limit) {
  RIS_TRY_VOID(require_kv(store_, access, prefix));
  if (limit < 1 || limit > 1000)
    return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  if (after_revision < 0)
    return fail(Errc::invalid_argument, "after_revision must be 0 or more");
  return KvRepository(store_).changes(access.space_id, prefix, after_revision, limit);
}

namespace {
Result<void> agent_may_read(std::string_view key_or_prefix) {
  if (!key_or_prefix.starts_with(kAgentPrefix))
    return fail(Errc::forbidden, fmt::format("agents read keys under \"{}\" only, not \"{}\"",
                                             kAgentPrefix, key_or_prefix));
  return {};
}
}  // namespace

Result<Entry> Kv::get_for_agent(const std::string& space_id, std::string_view key) {
  RIS_TRY_VOID(check_key(key));
  RIS_TRY_VOID(agent_may_read(key));
  RIS_TRY(auto e, KvRepository(store_).get(space_id, key, now_rfc3339()));
  if (!e)
    return fail(Errc::not_found, fmt::format("no key \"{}\"", key));
  return std::move(*e);
}

Result<ChangesPage> Kv::changes_for_agent(const std::string& space_id, std::string_view prefix,
                                          int64_t after_revision, int limit) {
  RIS_TRY_VOID(agent_may_read(prefix));
  if (limit < 1 || limit > 1000)
    return fail(Errc::invalid_argument, "limit must be between 1 and 1000");
  if (after_revision < 0)
    return fail(Errc::invalid_argument, "after_revision must be 0 or more");
  return KvRepository(store_).changes(space_id, prefix, after_revision, limit);
}

Result<size_t> Kv::expire(SystemTime now, const cluster::Fence& fence) {
  RIS_TRY(auto spaces, KvRepository(store_).expire(to_rfc3339(now), 500, fence));
  for (const auto& s : spaces)
    changed(s, true);
  return spaces.size();
}

}  // namespace ris::kv
