// Docker operations the agent offers: image handling (present, load from an archive, pull) and
// the `docker` task type's actions (seed 000's docker_management), all through DockerClient.
#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "ris/agent/docker_client.hpp"
#include "ris/agent/shell.hpp"

namespace ris::agent {

// An image archive fetched from risd: a `docker save` tar ("image") or a root file system tar
// ("rootfs", imported as a single-layer image).
struct ImageArchive {
  std::string format;
  std::string bytes;
};
using ArchiveFetcher = std::function<Result<ImageArchive>(const std::string& archive_id)>;

// Makes `image` present: already there, loaded from `archive_id` (if given), or pulled.
Result<void> ensure_image(const DockerClient& docker, const std::string& image,
                          const std::string& archive_id, const ArchiveFetcher& fetch);
Result<void> load_archive(const DockerClient& docker, const std::string& image,
                          const ImageArchive& archive);

// Runs one `docker` task: parameters {"action": ..., ...}. Output (logs, events) goes to `emit`;
// the returned value is the run's result.
Result<boost::json::value> run_docker_task(const DockerClient& docker, const std::string& agent_id,
                                           const boost::json::object& params,
                                           const OutputSink& emit, const CancelFlag& cancel,
                                           const ArchiveFetcher& fetch);

}  // namespace ris::agent
