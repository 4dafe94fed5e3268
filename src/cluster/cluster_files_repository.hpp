// The SQL of `cluster_files` (migration 0011): the files every server sharing the database must
// have alike (the agents' CA and the task-signing key). Portable SQL only.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "ris/core/result.hpp"
#include "ris/store/store.hpp"

namespace ris::cluster {

// A thin view over a Store: construct one where it is needed.
class ClusterFilesRepository {
 public:
  explicit ClusterFilesRepository(store::Store& store) : store_(store) {}

  Result<std::optional<std::string>> get(std::string_view name);
  // Stores `content` unless the file is there already; returns what is stored afterwards (the
  // other server's, when two first servers raced).
  Result<std::string> put_if_absent(std::string_view name, const std::string& content,
                                    const std::string& now);
  // Replaces the content of an existing file (a resealed key).
  Result<void> replace(std::string_view name, const std::string& content);

 private:
  store::Store& store_;
};

}  // namespace ris::cluster
