// The shell a deployment step runs on a node: placing files atomically, install/stop/start
// commands, a config file with its reload, and health checks. Values are quoted for sh, so a
// file's content or path can hold anything.
//
// A secret reference ${secret:NAME} never becomes its value in the script: it becomes the
// variable ${RIS_SECRET_NAME} (upper case, other characters '_'), expanded on the node from the
// environment the executor gives the script. So a task's stored script holds no secret.
#pragma once
#include <boost/json/object.hpp>
#include <set>
#include <string>

namespace ris::deploy {

// The action of a step: `change` is create, update or remove; `spec` is the service's (for
// remove, the spec that was applied).
std::string action_script(std::string_view change, const boost::json::object& spec);
// The health check of `spec` ("" when it has none).
std::string health_script(const boost::json::object& spec);
// The drift check of a config service: compares the file on the node with the spec (content,
// mode, owner) and prints one line, "in sync", "drifted: content, mode" or, with `repair`, after
// placing the file again and reloading, "repaired: content". Exits non-zero only when it could
// not check.
std::string drift_script(const boost::json::object& spec, bool repair);

// 'text' for sh: single quotes, each ' written as '\''; a secret reference inside is left
// outside the quotes, double-quoted: 'a'"${RIS_SECRET_X}"'b'.
std::string sh_quote(std::string_view text);

// The variable a secret reaches a script in: "RIS_SECRET_DB_PASSWORD" for "db-password".
std::string secret_variable(std::string_view name);
// The secrets `spec` references (${secret:NAME} anywhere in it).
std::set<std::string> secrets_used(const boost::json::object& spec);

}  // namespace ris::deploy
