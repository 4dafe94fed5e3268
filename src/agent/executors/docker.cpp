// docker: the Engine API actions of run_docker_task (docker_ops.hpp). Listed among the agent's
// capabilities only while the daemon answers; a run without one fails with the daemon's error.
#include "agent/docker_ops.hpp"
#include "agent/executors/builtin.hpp"
#include "ris/core/log.hpp"

namespace ris::agent {
namespace {

class DockerExecutor final : public TaskExecutor {
 public:
  DockerExecutor(const DockerClient& docker, std::string agent_id, ArchiveFetcher fetch)
      : docker_(docker), agent_id_(std::move(agent_id)), fetch_(std::move(fetch)) {}

  std::string_view type() const override { return "docker"; }

  bool available() const override {
    auto ping = docker_.call("GET", "/_ping", {}, "", std::chrono::seconds(2));
    if (ping && ping->status == 200)
      return true;
    log::warn("docker_unavailable",
              {{"socket", docker_.socket_path()},
               {"error", ping ? "HTTP " + std::to_string(ping->status) : ping.error().message}});
    return false;
  }

  RunOutcome run(const RunContext& run) const override {
    auto result = run_docker_task(docker_, agent_id_, run.parameters, run.emit, run.cancel, fetch_);
    if (run.cancel.cancelled)
      return {"cancelled", {}};
    if (!result)
      return RunOutcome::failed(result.error().message);
    return {"succeeded", {{"result", std::move(*result)}}};
  }

 private:
  const DockerClient& docker_;
  std::string agent_id_;
  ArchiveFetcher fetch_;
};

}  // namespace

std::unique_ptr<TaskExecutor> make_docker_executor(const DockerClient& docker, std::string agent_id,
                                                   ArchiveFetcher fetch) {
  return std::make_unique<DockerExecutor>(docker, std::move(agent_id), std::move(fetch));
}

}  // namespace ris::agent
