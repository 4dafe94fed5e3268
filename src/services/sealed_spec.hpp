// A service spec as risd stores it (service_versions.spec): the canonical JSON of spec.hpp with
// every secret_env value sealed under the master key (context services.secret_env,
// docs/secrets.md). The services module seals before a spec reaches its repository and opens it
// only where the values are needed: to send the spec to its agents (over the signed, TLS control
// channel, which the agent seals again in its own services.json) and to keep unchanged masked
// values on update. The history shows specs masked, without opening them.
//
// Sealing and opening work on the JSON's strings, before parse_service_spec: a sealed value is
// longer than the 8192 characters that parsing allows a value.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"
#include "ris/security/secret_box.hpp"
#include "ris/services/spec.hpp"

namespace ris::services {

inline constexpr std::string_view kSecretEnvContext = "services.secret_env";

// The JSON text to store: to_json(spec, true) with each secret value sealed.
Result<std::string> seal_spec(const ServiceSpec& spec, const security::SecretBox& box);
// A stored spec with its secret values opened (Errc::internal when one does not open).
Result<ServiceSpec> open_spec(std::string_view stored, const security::SecretBox& box);
// A stored spec with its secret values replaced by kSecretMask, not opened: for showing it.
Result<ServiceSpec> masked_spec(std::string_view stored);

enum class Reseal {
  plaintext,    // seal the values stored in clear (a risd from before encryption wrote them)
  not_current,  // re-seal every value not sealed under the box's current key (a rotation)
};
// The stored spec with the values `which` picks sealed again under the box's current key;
// nullopt when there is none. The rest of the JSON text is rewritten as json::serialize does.
Result<std::optional<std::string>> reseal_spec(std::string_view stored,
                                               const security::SecretBox& box, Reseal which);

}  // namespace ris::services
