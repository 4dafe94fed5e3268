// risd's secrets at rest: which master key file it uses, the task-signing key sealed under it,
// and the list of resealers `risd admin rotate-master-key` walks (docs/secrets.md).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "ris/cluster/cluster_files.hpp"
#include "ris/core/config.hpp"
#include "ris/core/result.hpp"
#include "ris/security/ed25519.hpp"
#include "ris/security/resealers.hpp"
#include "ris/security/secret_box.hpp"

namespace risd {

using ris::cluster::kTaskKeyContext;

// --master-key-file, else DATA_DIR/master.key.
std::filesystem::path master_key_path(const ris::ServerConfig& config);

// The master key of `config`. The default file is created on first start; a file named by
// --master-key-file / RIS_MASTER_KEY_FILE must exist (a typo must not start a new key).
ris::Result<ris::security::SecretBox> open_master_key(const ris::ServerConfig& config);

// DATA_DIR/tls/task.key: the Ed25519 key that signs control messages to agents, stored sealed.
// Agents pin its public half at enrolment, so it is created once and never changes; a plaintext
// PEM from before encryption is read once and rewritten sealed.
ris::Result<ris::security::Ed25519Key> load_or_create_task_key(const std::filesystem::path& path,
                                                               const ris::security::SecretBox& box);

// Every resealer risd knows, for the rotation. A module that stores sealed values adds its own
// here.
ris::security::Resealers resealers(const ris::ServerConfig& config);

// `risd admin rotate-master-key [--data-dir DIR] [--database-url URL] [--master-key-file FILE]`
// (and every other risd setting, from flags, RIS_* or --config). Returns the exit status.
int rotate_master_key_main(const std::vector<std::string>& args);

}  // namespace risd
