// Simulated agents that run shell tasks, for `risbench deploy --agents N` (deploy_bench.cpp):
// many agents on one event loop inside risbench, each with its real enrolled identity (TLS client
// certificate) and the real protocol (hello, heartbeats, task_ack, task_result, acks), like
// `risbench sim`. Unlike sim's echo, a task's `script` is run (`/bin/sh -c`, its `env` added,
// output discarded) by a few runner threads, and its exit code is the run's result: the deployer
// sees success only when the script succeeded. Signatures of control messages are not verified.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace ris::bench {

class ShellAgents {
 public:
  // Agents of lines [0, count) of `identities` connect to `server` (https://127.0.0.1:PORT).
  ShellAgents(const std::string& server, const std::filesystem::path& ca_file,
              const std::filesystem::path& identities, size_t count, size_t runners = 4);
  ~ShellAgents();  // closes every connection
  ShellAgents(const ShellAgents&) = delete;
  ShellAgents& operator=(const ShellAgents&) = delete;

  size_t opened() const;           // connections that are up
  int64_t scripts_ok() const;      // scripts that exited 0
  int64_t scripts_failed() const;  // … that did not
  std::string last_close() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ris::bench
