// Runs a shell task: argv (execvp) or a script (/bin/sh -c), with environment, working
// directory, optional user switch (root only), stdin, and a timeout. The child leads its own
// process group, so a timeout or a cancel kills everything it started (SIGTERM, then SIGKILL
// after a grace period). Output arrives in chunks as it is produced. Blocking: call it on a
// worker thread.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::agent {

struct ShellSpec {
  std::vector<std::string> argv;
  std::string script;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_directory, user, stdin_data;
  std::chrono::milliseconds timeout{0};  // 0: none
};

struct ShellResult {
  std::optional<int> exit_code, signal;
  bool timed_out = false, cancelled = false;
};

using OutputSink = std::function<void(std::string_view stream, std::string_view chunk)>;

// Set from any thread to stop the run.
struct CancelFlag {
  std::atomic<bool> cancelled{false};
};

Result<ShellResult> run_shell(const ShellSpec& spec, const OutputSink& sink,
                              const CancelFlag& cancel);

}  // namespace ris::agent
