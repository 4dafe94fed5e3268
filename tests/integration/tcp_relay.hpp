// A TCP relay on loopback that a test can cut and restore: it stands between two processes (a
// NATS leaf node and its hub) as the network link between two LANs. cut() closes every relayed
// connection and stops listening, as a link going down does; restore() listens again on the
// same port, so the dialling side reconnects by itself.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ris::testing {

class TcpRelay {
 public:
  // Listens on a free port at once; relays to `target_port` (which forward_to() may give later,
  // when what it stands before needs to know the relay's port first).
  explicit TcpRelay(uint16_t target_port = 0) : target_(target_port) { listen_on(0); }
  ~TcpRelay() { cut(); }
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  uint16_t port() const { return port_; }
  void forward_to(uint16_t target_port) { target_ = target_port; }

  void cut() {
    std::vector<std::thread> threads;
    {
      std::lock_guard g(mu_);
      up_ = false;
      if (listener_ >= 0)
        ::shutdown(listener_, SHUT_RDWR);
      for (int fd : open_)
        ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads)
      t.join();
    std::lock_guard g(mu_);
    for (int fd : open_)
      ::close(fd);
    open_.clear();
    if (listener_ >= 0)
      ::close(listener_);
    listener_ = -1;
  }

  void restore() { listen_on(port_); }

 private:
  void listen_on(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
      ::close(fd);
      throw std::runtime_error("tcp relay: cannot listen");
    }
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    std::lock_guard g(mu_);
    port_ = ntohs(a.sin_port);
    listener_ = fd;
    up_ = true;
    threads_.emplace_back([this, fd] { accept_loop(fd); });
  }

  void accept_loop(int listener) {
    while (true) {
      const int client = ::accept(listener, nullptr, nullptr);
      if (client < 0)
        return;  // cut
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(target_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      std::lock_guard g(mu_);
      if (!up_) {
        ::close(client);
        ::close(server);
        return;
      }
      open_.push_back(client);
      open_.push_back(server);
      threads_.emplace_back([client, server] { pump(client, server); });
    }
  }

  // Both directions until either side closes (or cut() shuts them down).
  static void pump(int a, int b) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buf[16384];
    while (::poll(fds, 2, -1) > 0) {
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents == 0)
          continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0)
          return;
        for (ssize_t off = 0; off < n;) {
          const ssize_t w = ::write(fds[1 - i].fd, buf + off, static_cast<size_t>(n - off));
          if (w <= 0)
            return;
          off += w;
        }
      }
    }
  }

  std::atomic<uint16_t> target_;
  uint16_t port_ = 0;
  std::mutex mu_;
  bool up_ = false;
  int listener_ = -1;
  std::vector<int> open_;
  std::vector<std::thread> threads_;
};

}  // namespace ris::testing
