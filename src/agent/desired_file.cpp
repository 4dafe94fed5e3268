#include "desired_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>

#include "ris/security/secure_file.hpp"

namespace ris::agent {
namespace {
namespace json = boost::json;

// Calls `f` on every string value of every service's spec.secret_env.
Result<void> for_each_secret(json::array& services,
                             const std::function<Result<void>(json::string&)>& f) {
  for (auto& s : services) {
    auto* spec = s.is_object() ? s.as_object().if_contains("spec") : nullptr;
    auto* env = spec && spec->is_object() ? spec->as_object().if_contains("secret_env") : nullptr;
    if (!env || !env->is_object())
      continue;
    for (auto& [name, value] : env->as_object())
      if (value.is_string())
        RIS_TRY_VOID(f(value.as_string()));
  }
  return {};
}
}  // namespace

Result<void> save_desired_services(const std::filesystem::path& file, const json::array& services,
                                   const security::SecretBox& box) {
  json::array sealed = services;
  RIS_TRY_VOID(for_each_secret(sealed, [&](json::string& v) -> Result<void> {
    RIS_TRY(std::string s, box.seal(std::string_view(v), kSecretEnvContext));
    v = s;
    return {};
  }));
  return security::write_file_atomic(file, json::serialize(sealed), 0600);
}

Result<std::optional<DesiredOnDisk>> load_desired_services(const std::filesystem::path& file,
                                                           const security::SecretBox& box) {
  // The secrets in the specs make this file private, like the agent's key.
  RIS_TRY(auto text, security::read_small_file(file, security::kOwnerOnly));
  if (!text)
    return std::optional<DesiredOnDisk>();
  json::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_array())
    return std::optional<DesiredOnDisk>();
  DesiredOnDisk out;
  out.services = std::move(v.as_array());
  RIS_TRY_VOID(for_each_secret(out.services, [&](json::string& s) -> Result<void> {
    if (!security::is_sealed(std::string_view(s))) {
      out.had_plaintext = true;
      return {};
    }
    auto plain = box.open(std::string_view(s), kSecretEnvContext);
    if (!plain)
      return fail(plain.error().code, file.string() + ": " + plain.error().message);
    s = *plain;
    return {};
  }));
  return std::optional<DesiredOnDisk>(std::move(out));
}

}  // namespace ris::agent
