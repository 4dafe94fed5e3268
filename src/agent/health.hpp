// Private to src/agent: one health sample of this host for heartbeats (seed 000's fields).
#pragma once
#include <boost/json/object.hpp>
#include <cstdint>

namespace ris::agent {
// `running` and `executed_total` come from the agent; the rest from /proc and statvfs.
boost::json::object sample_health(int64_t running, int64_t executed_total);
// Host facts for the hello message: hostname, os, kernel, arch, addresses, agent_version.
boost::json::object host_facts();
}  // namespace ris::agent
