#include "secrets.hpp"

#include <openssl/crypto.h>

#include "ris/core/log.hpp"
#include "ris/deploy/secrets.hpp"
#include "ris/fleet/tasks.hpp"
#include "ris/identity/sessions.hpp"
#include "ris/identity/two_factor.hpp"
#include "ris/security/secure_file.hpp"
#include "ris/services/services.hpp"

namespace risd {
namespace {
namespace security = ris::security;

void cleanse(std::string& s) {
  if (!s.empty())
    OPENSSL_cleanse(s.data(), s.size());
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  return s;
}

ris::Failure about(const std::filesystem::path& path, const ris::Error& e) {
  return ris::fail(e.code, path.string() + ": " + e.message);
}

// Re-seals the task key file under the box's current key; 0 when it is current or absent.
ris::Result<int> reseal_task_key(const std::filesystem::path& path,
                                 const security::SecretBox& box) {
  auto stored = security::read_small_file(path, security::kOwnerOnly);
  if (!stored)
    return about(path, stored.error());
  if (!*stored)
    return 0;
  const std::string_view text = trim_end(**stored);
  if (box.is_current(text))
    return 0;
  auto sealed = box.reseal(text, kTaskKeyContext);
  cleanse(**stored);
  if (!sealed)
    return about(path, sealed.error());
  if (auto w = security::write_file_atomic(path, *sealed + "\n", 0600); !w)
    return ris::fail(w.error());
  return 1;
}
}  // namespace

std::filesystem::path master_key_path(const ris::ServerConfig& config) {
  return config.master_key_file.empty() ? config.data_dir / "master.key" : config.master_key_file;
}

ris::Result<security::SecretBox> open_master_key(const ris::ServerConfig& config) {
  const auto path = master_key_path(config);
  bool created = false;
  auto box = config.master_key_file.empty() ? security::SecretBox::load_or_create(path, &created)
                                            : security::SecretBox::load(path);
  if (!box && box.error().code == ris::Errc::not_found)
    return ris::fail(ris::Errc::not_found,
                     "the master key file " + path.string() +
                         " (--master-key-file / RIS_MASTER_KEY_FILE) does not exist; make one with"
                         " `(umask 077; openssl rand -base64 32 > " +
                         path.string() + ")` or copy the data directory's master.key");
  if (!box)
    return ris::fail(box.error().code, "master key: " + box.error().message);
  if (created)
    ris::log::warn("master_key_created",
                   {{"file", path.string()},
                    {"key_id", box->current_key_id()},
                    {"note",
                     "back it up apart from the database: without it the encrypted "
                     "secrets in a backup cannot be read"}});
  const auto ids = box->key_ids();
  if (ids.size() > 1) {
    boost::json::array older(ids.begin() + 1, ids.end());
    ris::log::warn("master_key_rotation_unfinished",
                   {{"file", path.string()},
                    {"current", ids.front()},
                    {"older", std::move(older)},
                    {"note", "run `risd admin rotate-master-key` again to finish it"}});
  }
  return box;
}

ris::Result<security::Ed25519Key> load_or_create_task_key(const std::filesystem::path& path,
                                                          const security::SecretBox& box) {
  RIS_TRY(auto stored, security::read_small_file(path, security::kOwnerOnly));
  if (stored && security::is_sealed(trim_end(*stored))) {
    auto pem = box.open(trim_end(*stored), kTaskKeyContext);
    if (!pem)
      return about(path, pem.error());
    auto key = security::Ed25519Key::from_private_pem(*pem);
    cleanse(*pem);
    return key;
  }
  if (stored) {
    // Written by a risd from before encryption: the same key, from now on sealed.
    auto key = security::Ed25519Key::from_private_pem(*stored);
    if (!key)
      return about(path, key.error());
    auto sealed = box.seal(*stored, kTaskKeyContext);
    cleanse(*stored);
    if (!sealed)
      return about(path, sealed.error());
    RIS_TRY_VOID(security::write_file_atomic(path, *sealed + "\n", 0600));
    ris::log::info("task_key_sealed", {{"file", path.string()}, {"key_id", box.current_key_id()}});
    return key;
  }
  RIS_TRY(auto key, security::Ed25519Key::generate());
  RIS_TRY(std::string pem, key.private_pem());
  auto sealed = box.seal(pem, kTaskKeyContext);
  cleanse(pem);
  if (!sealed)
    return about(path, sealed.error());
  RIS_TRY_VOID(security::write_file_atomic(path, *sealed + "\n", 0600));
  return key;
}

security::Resealers resealers(const ris::ServerConfig& config) {
  security::Resealers all;
  all.add("task signing key (" + (config.data_dir / "tls" / "task.key").string() + ")",
          [path = config.data_dir / "tls" / "task.key"](ris::store::Store&,
                                                        const security::SecretBox& box) {
            return reseal_task_key(path, box);
          });
  all.add("the cluster's CA key and task key (cluster_files)", &ris::cluster::reseal_cluster_files);
  all.add(std::string(ris::identity::kTotpSecretContext) + " (TOTP secrets)",
          &ris::identity::TwoFactor::reseal);
  all.add(std::string(ris::identity::kJwtPrivateKeyContext) + " (token signing keys)",
          &ris::identity::Sessions::reseal);
  all.add("services.secret_env (service secrets, in every version of each spec)",
          &ris::services::Services::reseal);
  all.add(std::string(ris::deploy::kDeploySecretContext) + " (deployment secrets)",
          &ris::deploy::Secrets::reseal);
  all.add(std::string(ris::fleet::kTaskEnvContext) + " (deployment secrets in agents' tasks)",
          &ris::fleet::Tasks::reseal_env);
  return all;
}

}  // namespace risd
