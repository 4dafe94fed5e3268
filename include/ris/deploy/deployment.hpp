// A deployment file (seed 002): the nodes a space deploys to and the services it runs there,
// with their dependencies, read from YAML for one environment. Reading checks everything a plan
// needs; every problem is reported with the file, line and column it is about, all at once.
#pragma once
#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ris::deploy {

struct Position {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

struct Diagnostic {
  Position at;
  std::string message;  // "services.api.depends_on[0]: unknown service 'dbb'"
};

// "FILE:LINE:COLUMN: MESSAGE", one per line, in file order.
std::string format_diagnostics(std::string_view file, const std::vector<Diagnostic>& d);

enum class NodeKind { agent, selector, ssh };

struct SshTarget {
  std::string address;
  int port = 22;
  std::string user;
  std::string key_secret;  // the space secret holding the private key
  std::string host_key;    // "SHA256:…", as ssh-keygen -lf prints it: never trusted on first use
};

struct NodeDef {
  std::string name;
  NodeKind kind = NodeKind::agent;
  std::string agent;                            // kind agent: an agent's id or name
  std::map<std::string, std::string> selector;  // kind selector: labels every agent must carry
  SshTarget ssh;                                // kind ssh
  Position at;
};

enum class Condition { started, healthy, completed };

struct Dependency {
  std::string service;
  Condition condition = Condition::started;
  Position at;
};

enum class ServiceKind { docker, shell, config };

struct ServiceDef {
  std::string name;
  ServiceKind kind = ServiceKind::shell;
  std::vector<std::string> on;  // node names
  std::vector<Dependency> depends_on;
  // What the plan compares and the executor runs: kind, on, depends_on, health and the kind's
  // own section, variables substituted, keys sorted. Secrets stay references ("${secret:x}").
  boost::json::object spec;
  Position at;
};

// What a revision does when a step fails: stop where it is, or roll back to the last applied
// revision (the services it touched return to what was applied; the ones it created go).
enum class OnFailure { stop, rollback };

struct Deployment {
  std::string environment;  // "" : the file's base values
  OnFailure on_failure = OnFailure::stop;
  std::vector<NodeDef> nodes;
  std::vector<ServiceDef> services;  // in file order
};

struct Read {
  std::optional<Deployment> deployment;  // set when there are no diagnostics
  std::vector<Diagnostic> diagnostics;
};

// Reads `text` for `environment` ("" for none; one the file does not define is an error).
// Bounded: documents over 4 MiB, or nested deeper than 64, are refused.
Read read_deployment(std::string_view text, std::string_view environment);

std::string_view name_of(ServiceKind k);
std::string_view name_of(Condition c);

}  // namespace ris::deploy
