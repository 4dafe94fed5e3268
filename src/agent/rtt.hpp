// Private to src/agent: orders servers by measured round-trip time (a TCP connect), nearest
// first; unreachable ones go last, in their configured order.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace ris::agent {
std::vector<std::string> order_by_rtt(const std::vector<std::string>& servers,
                                      std::chrono::milliseconds timeout);
}  // namespace ris::agent
