// services.json: the desired services an agent keeps on disk (0600), so that a restarted agent
// reconciles before it reconnects. Each secret value (spec.secret_env) is sealed with the
// agent's own master key (state_dir/master.key, see ris/security/secret_box.hpp); the rest
// stays readable. A file from an older agent, with secrets in clear, is still read: the caller
// rewrites it sealed.
#pragma once
#include <boost/json/array.hpp>
#include <filesystem>
#include <optional>
#include <string_view>

#include "ris/core/result.hpp"
#include "ris/security/secret_box.hpp"

namespace ris::agent {

inline constexpr std::string_view kDesiredFile = "services.json";
inline constexpr std::string_view kSecretEnvContext = "agent.services.secret_env";

// Writes `services` (secrets in clear, as risd sent them) with every secret_env value sealed.
Result<void> save_desired_services(const std::filesystem::path& file,
                                   const boost::json::array& services,
                                   const security::SecretBox& box);

struct DesiredOnDisk {
  boost::json::array services;  // secrets opened
  bool had_plaintext = false;   // written by an agent before encryption: rewrite it
};

// nullopt when there is no file or it is not a JSON array (start with nothing, as before). An
// error when it cannot be read or a secret does not open (another master key): the set on disk
// is then unusable, and acting on part of it would be wrong.
Result<std::optional<DesiredOnDisk>> load_desired_services(const std::filesystem::path& file,
                                                           const security::SecretBox& box);

}  // namespace ris::agent
