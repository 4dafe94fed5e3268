// What the worker processes report (workers.hpp's lines), gathered from their reader threads.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ris::bench {

struct Observed {
  struct Stream {
    int64_t first_ns = 0, acked_ns = 0, chunks = 0;
  };
  struct Received {
    int64_t count = 0, first_ns = 0, last_ns = 0;
  };

  void line(const std::string& text);  // one worker line; thread-safe
  // Waits until `done` holds (checked under the lock) or `timeout` passes; false on timeout.
  bool wait(const std::function<bool(const Observed&)>& done, std::chrono::seconds timeout);
  void reset();

  mutable std::mutex mu;
  std::condition_variable changed;
  size_t opened = 0, closed = 0;
  std::string last_close;
  std::map<std::string, int64_t> acked;  // run → ns
  std::vector<int64_t> rehomed;          // ns
  std::vector<Stream> streams;
  std::vector<Received> received;
};

}  // namespace ris::bench
