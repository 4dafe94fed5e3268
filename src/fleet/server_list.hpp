// The servers agents may connect to: the advertised URLs of every live server sharing the store,
// sent to each agent in its hello_ack and again (cluster_servers) whenever the list changes, so
// a server that joins is known to the agents within one refresh and a dead one's agents know
// where else to go. Agents keep the list on disk and order it by round-trip time.
#pragma once
#include <boost/json/array.hpp>
#include <chrono>
#include <memory>
#include <mutex>

#include "ris/store/store.hpp"

namespace ris::fleet {

class ServerList {
 public:
  explicit ServerList(store::Store& store,
                      std::chrono::milliseconds refresh = std::chrono::seconds(10))
      : store_(store), refresh_(refresh) {}

  // The list as last read (read now if never read or older than the refresh interval).
  std::shared_ptr<const boost::json::array> current();
  // Reads the list again if the refresh interval passed; true when it differs from the oldest
  // list a connected agent may hold (the first one current() gave out, then the last one this
  // call returned true for): the list to tell every connected agent.
  bool refresh_changed();
  // The next refresh_changed() reads the list again (a server said it joined or left).
  void expire();

 private:
  void read_locked(std::chrono::steady_clock::time_point now);

  store::Store& store_;
  const std::chrono::milliseconds refresh_;
  std::mutex mu_;
  std::shared_ptr<const boost::json::array> list_, announced_;
  std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace ris::fleet
