#include "agent/executors/builtin.hpp"

namespace ris::agent {

Result<ExecutorRegistry> builtin_executors(const ExecutorDeps& deps) {
  ExecutorRegistry registry;
  RIS_TRY_VOID(registry.add(make_ping_executor()));
  RIS_TRY_VOID(registry.add(make_echo_executor()));
  RIS_TRY_VOID(registry.add(make_shell_executor()));
  RIS_TRY_VOID(registry.add(make_http_executor()));
  RIS_TRY_VOID(registry.add(make_docker_executor(deps.docker, deps.agent_id, deps.fetch_archive)));
  return registry;
}

}  // namespace ris::agent
