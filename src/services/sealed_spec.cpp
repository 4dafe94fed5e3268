#include "sealed_spec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>

namespace ris::services {
namespace {
namespace json = boost::json;

Result<json::object> parse_object(std::string_view stored) {
  json::error_code ec;
  auto v = json::parse(stored, ec);
  if (ec || !v.is_object())
    return fail(Errc::internal, "stored service spec is not JSON");
  return std::move(v.as_object());
}

// Calls `f` on every string value of the spec's secret_env.
Result<void> for_each_secret(json::object& spec,
                             const std::function<Result<void>(json::string&)>& f) {
  auto* env = spec.if_contains("secret_env");
  if (!env || !env->is_object())
    return {};
  for (auto& [name, value] : env->as_object())
    if (value.is_string())
      RIS_TRY_VOID(f(value.as_string()));
  return {};
}
}  // namespace

Result<std::string> seal_spec(const ServiceSpec& spec, const security::SecretBox& box) {
  json::object o = to_json(spec, true);
  RIS_TRY_VOID(for_each_secret(o, [&](json::string& v) -> Result<void> {
    RIS_TRY(std::string sealed, box.seal(std::string_view(v), kSecretEnvContext));
    v = sealed;
    return {};
  }));
  return json::serialize(o);
}

Result<ServiceSpec> open_spec(std::string_view stored, const security::SecretBox& box) {
  RIS_TRY(json::object o, parse_object(stored));
  RIS_TRY_VOID(for_each_secret(o, [&](json::string& v) -> Result<void> {
    RIS_TRY(std::string plain, box.open(std::string_view(v), kSecretEnvContext));
    v = plain;
    return {};
  }));
  return parse_service_spec(o);
}

Result<ServiceSpec> masked_spec(std::string_view stored) {
  RIS_TRY(json::object o, parse_object(stored));
  RIS_TRY_VOID(for_each_secret(o, [](json::string& v) -> Result<void> {
    v = kSecretMask;
    return {};
  }));
  return parse_service_spec(o);
}

Result<std::optional<std::string>> reseal_spec(std::string_view stored,
                                               const security::SecretBox& box, Reseal which) {
  RIS_TRY(json::object o, parse_object(stored));
  bool changed = false;
  RIS_TRY_VOID(for_each_secret(o, [&](json::string& v) -> Result<void> {
    const std::string_view value(v);
    if (which == Reseal::plaintext ? security::is_sealed(value) : box.is_current(value))
      return {};
    RIS_TRY(std::string sealed, box.reseal(value, kSecretEnvContext));
    v = sealed;
    changed = true;
    return {};
  }));
  if (!changed)
    return std::optional<std::string>();
  return std::optional<std::string>(json::serialize(o));
}

}  // namespace ris::services
