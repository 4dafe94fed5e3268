// The executors ris-agent ships, one small file each (executors/<type>.cpp), and the registry
// the agent builds from them at start. Adding a task type: its row in fleet/task_types.cpp, its
// file here, and one line in builtin_executors().
#pragma once
#include <memory>
#include <string>

#include "agent/docker_ops.hpp"
#include "agent/executor_registry.hpp"
#include "ris/agent/docker_client.hpp"

namespace ris::agent {

std::unique_ptr<TaskExecutor> make_ping_executor();
std::unique_ptr<TaskExecutor> make_echo_executor();
std::unique_ptr<TaskExecutor> make_shell_executor();
std::unique_ptr<TaskExecutor> make_http_executor();
// Available while the daemon behind `docker` answers; image archives come from `fetch`.
std::unique_ptr<TaskExecutor> make_docker_executor(const DockerClient& docker, std::string agent_id,
                                                   ArchiveFetcher fetch);

// What the built-in executors need from the agent; `docker` must outlive the registry.
struct ExecutorDeps {
  const DockerClient& docker;
  std::string agent_id;
  ArchiveFetcher fetch_archive;
};

// ping, echo, shell, http, docker: the order of the capabilities in hello.
Result<ExecutorRegistry> builtin_executors(const ExecutorDeps& deps);

}  // namespace ris::agent
