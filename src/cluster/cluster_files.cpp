#include "ris/cluster/cluster_files.hpp"

#include <openssl/crypto.h>

#include <array>
#include <string_view>

#include "cluster_files_repository.hpp"

#include "ris/core/log.hpp"
#include "ris/core/time.hpp"
#include "ris/security/secure_file.hpp"

namespace ris::cluster {
namespace {

constexpr std::string_view kCaKeyContext = "cluster_ca_key";

struct File {
  std::string_view name;
  std::string_view context;  // sealed in the database under this context; empty: plain
  bool sealed_on_disk;       // task.key is sealed in the data directory too
  mode_t mode;
};
constexpr std::array<File, 3> kFiles{{{"ca.crt", "", false, 0644},
                                      {"ca.key", kCaKeyContext, false, 0600},
                                      {"task.key", kTaskKeyContext, true, 0600}}};

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  return s;
}

void cleanse(std::string& s) {
  if (!s.empty())
    OPENSSL_cleanse(s.data(), s.size());
}

// The plaintext of a file as the data directory holds it.
Result<std::string> plain_of_disk(const File& f, const std::string& disk,
                                  const security::SecretBox& box) {
  if (f.sealed_on_disk)
    return box.open(trim_end(disk), f.context);
  return disk;
}

// The plaintext of a file as the database holds it.
Result<std::string> plain_of_stored(const File& f, const std::string& stored,
                                    const security::SecretBox& box) {
  if (f.context.empty())
    return stored;
  return box.open(stored, f.context);
}

// What the data directory gets for a stored file.
Result<std::string> disk_of_stored(const File& f, const std::string& stored,
                                   const security::SecretBox& box) {
  if (f.sealed_on_disk)
    return stored + "\n";
  return plain_of_stored(f, stored, box);
}

Result<void> write_all(ClusterFilesRepository& repo, const std::filesystem::path& tls_dir,
                       const security::SecretBox& box) {
  for (const auto& f : kFiles) {
    RIS_TRY(auto stored, repo.get(f.name));
    if (!stored)
      continue;
    RIS_TRY(auto disk, disk_of_stored(f, *stored, box));
    auto written = security::write_file_atomic(tls_dir / f.name, disk, f.mode);
    cleanse(disk);
    RIS_TRY_VOID(written);
  }
  // Issued by the CA this directory had: reissued by the cluster's on the next load.
  std::error_code ec;
  std::filesystem::remove(tls_dir / "server.crt", ec);
  return {};
}
}  // namespace

Result<void> pull_cluster_files(store::Store& store, const std::filesystem::path& tls_dir,
                                const security::SecretBox& box) {
  std::error_code ec;
  if (std::filesystem::exists(tls_dir / "ca.crt", ec))
    return {};
  ClusterFilesRepository repo(store);
  RIS_TRY(auto ca, repo.get("ca.crt"));
  if (!ca)
    return {};  // the first server: its own are made and pushed
  std::filesystem::create_directories(tls_dir, ec);
  std::filesystem::permissions(tls_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  RIS_TRY_VOID(write_all(repo, tls_dir, box));
  log::info("cluster_files_taken", {{"dir", tls_dir.string()}});
  return {};
}

Result<bool> push_cluster_files(store::Store& store, const std::filesystem::path& tls_dir,
                                const security::SecretBox& box, bool created_ca) {
  ClusterFilesRepository repo(store);
  bool differs = false;
  for (const auto& f : kFiles) {
    const auto path = tls_dir / f.name;
    RIS_TRY(auto disk, security::read_small_file(path, f.mode == 0600 ? security::kOwnerOnly : 0));
    if (!disk)
      return fail(Errc::internal, path.string() + " is missing");
    RIS_TRY(auto plain, plain_of_disk(f, *disk, box));
    std::string mine = plain;
    if (!f.context.empty() && !f.sealed_on_disk) {
      RIS_TRY(mine, box.seal(plain, f.context));
    } else if (f.sealed_on_disk) {
      mine = std::string(trim_end(*disk));
    }
    RIS_TRY(auto stored, repo.put_if_absent(f.name, mine, now_rfc3339()));
    RIS_TRY(auto theirs, plain_of_stored(f, stored, box));
    if (theirs != plain)
      differs = true;
    cleanse(plain);
    cleanse(theirs);
  }
  if (!differs)
    return false;
  if (!created_ca)
    return fail(Errc::conflict,
                "the CA or task key in " + tls_dir.string() +
                    " is not the one the other servers on this database use: agents "
                    "enrolled here would trust no other server. Move " +
                    tls_dir.string() + " aside to take the cluster's (docs/cluster.md)");
  RIS_TRY_VOID(write_all(repo, tls_dir, box));
  log::info("cluster_files_taken", {{"dir", tls_dir.string()}});
  return true;
}

Result<int> reseal_cluster_files(store::Store& store, const security::SecretBox& box) {
  ClusterFilesRepository repo(store);
  int rewritten = 0;
  for (const auto& f : kFiles) {
    if (f.context.empty())
      continue;
    RIS_TRY(auto stored, repo.get(f.name));
    if (!stored || box.is_current(*stored))
      continue;
    RIS_TRY(auto sealed, box.reseal(*stored, f.context));
    RIS_TRY_VOID(repo.replace(f.name, sealed));
    ++rewritten;
  }
  return rewritten;
}

}  // namespace ris::cluster
