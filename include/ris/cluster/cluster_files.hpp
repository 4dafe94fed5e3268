// The files every server sharing a database must have alike: the agents' CA (which signs their
// client certificates and every server's certificate) and the task-signing key. Agents pin both
// at enrolment and may re-home to any server, so a second server on the database takes the
// first one's instead of making its own. They live in the database (keys sealed under the master
// key, which all servers share: docs/secrets.md) and, as before, in DATA_DIR/tls.
#pragma once
#include <filesystem>
#include <string_view>

#include "ris/core/result.hpp"
#include "ris/security/resealers.hpp"
#include "ris/security/secret_box.hpp"
#include "ris/store/store.hpp"

namespace ris::cluster {

// The context the task key is sealed under, on disk and in the database.
inline constexpr std::string_view kTaskKeyContext = "task_signing_key";

// Before the credentials are loaded: a data directory without a CA gets the cluster's, if the
// database has one.
Result<void> pull_cluster_files(store::Store& store, const std::filesystem::path& tls_dir,
                                const security::SecretBox& box);

// After they are loaded: stores this server's files where the database has none yet. When the
// database has others — a CA this start created lost a race with another first server — the
// cluster's replace them and the result is true (load the credentials again). A data directory
// with a CA of its own that differs from the cluster's is an error: agents enrolled with it
// would trust no other server.
Result<bool> push_cluster_files(store::Store& store, const std::filesystem::path& tls_dir,
                                const security::SecretBox& box, bool created_ca);

// The sealed keys in `cluster_files`, for `risd admin rotate-master-key`.
Result<int> reseal_cluster_files(store::Store& store, const security::SecretBox& box);

}  // namespace ris::cluster
