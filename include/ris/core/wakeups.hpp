// Continuations parked until what they wait on may have changed: wait(key, resume) parks one;
// notify(key) resumes every one parked on `key`; any parked for `recheck` is resumed anyway, so
// a lost notification (another server's hint that never came) costs that long, never a missed
// change. What waits this way holds no thread: long polls and WebSocket watches of the
// key-value store and the queues park here between reads. One thread resumes them all: a
// continuation hands its real work elsewhere (a worker pool).
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ris {

class Wakeups {
 public:
  explicit Wakeups(std::chrono::milliseconds recheck = std::chrono::milliseconds(250));
  ~Wakeups();  // drops what is still parked
  Wakeups(const Wakeups&) = delete;
  Wakeups& operator=(const Wakeups&) = delete;

  void wait(std::string key, std::function<void()> resume);
  void notify(const std::string& key);

 private:
  void run();
  struct Parked {
    std::string key;
    std::chrono::steady_clock::time_point since;
    std::function<void()> resume;
  };
  const std::chrono::milliseconds recheck_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Parked> parked_;
  std::vector<std::string> notified_;  // since the thread last looked; kept only while any wait
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ris
