// The shell a deployment step runs on a node: placing files atomically, install/stop/start
// commands, a config file with its reload, and health checks. Values are quoted for sh, so a
// file's content or path can hold anything.
#pragma once
#include <boost/json/object.hpp>
#include <string>

namespace ris::deploy {

// The action of a step: `change` is create, update or remove; `spec` is the service's (for
// remove, the spec that was applied).
std::string action_script(std::string_view change, const boost::json::object& spec);
// The health check of `spec` ("" when it has none).
std::string health_script(const boost::json::object& spec);

// 'text' for sh: single quotes, each ' written as '\''.
std::string sh_quote(std::string_view text);

}  // namespace ris::deploy
