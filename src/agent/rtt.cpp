#include "rtt.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "ris/core/log.hpp"
#include "ris/net/client.hpp"

namespace ris::agent {
namespace {
using Clock = std::chrono::steady_clock;

std::optional<std::chrono::microseconds> connect_time(const std::string& server,
                                                      std::chrono::milliseconds timeout) {
  auto url = net::parse_https_url(server);
  if (!url)
    return std::nullopt;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(url->host.c_str(), std::to_string(url->port).c_str(), &hints, &res) != 0)
    return std::nullopt;
  std::optional<std::chrono::microseconds> best;
  for (auto* a = res; a && !best; a = a->ai_next) {
    const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0)
      continue;
    const auto start = Clock::now();
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      if (poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
        best = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    }
    close(fd);
  }
  freeaddrinfo(res);
  return best;
}
}  // namespace

std::vector<std::string> order_by_rtt(const std::vector<std::string>& servers,
                                      std::chrono::milliseconds timeout) {
  if (servers.size() < 2)
    return servers;
  std::vector<std::pair<std::chrono::microseconds, size_t>> measured;
  for (size_t i = 0; i < servers.size(); ++i) {
    auto t = connect_time(servers[i], timeout);
    measured.emplace_back(t.value_or(std::chrono::microseconds::max()), i);
    log::debug("server_rtt", {{"server", servers[i]},
                              {"rtt_us", t ? static_cast<int64_t>(t->count()) : int64_t{-1}}});
  }
  std::stable_sort(measured.begin(), measured.end());
  std::vector<std::string> out;
  for (const auto& [t, i] : measured)
    out.push_back(servers[i]);
  return out;
}

}  // namespace ris::agent
