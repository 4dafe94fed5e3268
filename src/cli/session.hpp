// One risctl invocation: its arguments, the contexts file, and how to print.
#pragma once
#include <filesystem>
#include <iostream>
#include <string>

#include "api.hpp"
#include "args.hpp"
#include "config.hpp"

namespace ris::cli {

struct Session {
  Args args;
  Config config;
  std::filesystem::path config_path;
  bool tty_out = false;  // stdout is a terminal: tables, colour and progress lines
  bool tty_err = false;

  // Signed in through --context (or the current one), --space applied.
  Result<Api> api();
  // The same, and the chosen space's URL ("/api/v1/spaces/ID").
  Result<std::pair<Api, std::string>> space_api();
  // "error: …" on stderr; returns the exit code 1.
  int error(const std::string& message) const;
  std::string colour(int code, const std::string& text) const;  // ANSI when tty_out
};

// Exit codes: 0 done, 1 failed (or a run failed), 2 usage, 130 interrupted.
int cmd_login(Session& s);
int cmd_logout(Session& s);
int cmd_context(Session& s);
int cmd_get(Session& s);
int cmd_describe(Session& s);
int cmd_create(Session& s);
int cmd_delete(Session& s);
int cmd_edit(Session& s);
int cmd_exec(Session& s);
int cmd_logs(Session& s);
int cmd_service_action(Session& s, const std::string& verb);  // scale, restart, rollback, …
int cmd_rollout(Session& s);
int cmd_backup(Session& s);                      // backup create
int cmd_schedule_pause(Session& s, bool pause);  // pause|resume schedule NAME
int cmd_fires(Session& s);                       // fires SCHEDULE
int cmd_kv(Session& s);                          // kv get|put|delete|ls|history|touch|watch
int cmd_pub(Session& s);                         // pub TOPIC MESSAGE
int cmd_sub(Session& s);                         // sub TOPIC SUBSCRIPTION
int cmd_deploy(Session& s);  // deploy validate|plan|apply FILE, status|history NAME
int cmd_completion(Session& s);

// Ctrl-C: the first sets this (commands cancel and wind down), a second one exits at once.
bool interrupted();
void install_interrupt_handler();

}  // namespace ris::cli
