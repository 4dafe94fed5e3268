// Control for agents connected to other servers. Gateway asks the router whenever the agent has
// no session here: the router looks up the live server holding it (agent_presence) and
// publishes the request on that server's subject `ris.server.<id>.agents`; it also subscribes to
// its own subject and carries out what others ask of it through RunDispatch, as for a local
// request. Requests are gathered while a lookup is running, so a fan-out to thousands of agents
// on other servers costs a few queries and one bus message per server and batch, not one each.
//
// Needs a bus that crosses processes (NATS): on the in-process bus nobody else listens and
// agents held elsewhere get their runs from their holder's sweeper and at their next hello.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent_sessions.hpp"
#include "ris/bus/bus.hpp"
#include "ris/core/worker_pool.hpp"
#include "ris/store/store.hpp"
#include "routed.hpp"
#include "run_dispatch.hpp"

namespace ris::fleet {

// The bus subject where server `server_id` takes requests for the agents it holds.
std::string server_agents_subject(std::string_view server_id);

class Router {
 public:
  Router(store::Store& store, bus::Bus* bus, RunDispatch& dispatch, SessionRegistry& sessions,
         WorkerPool& pool)
      : store_(store), bus_(bus), dispatch_(dispatch), sessions_(sessions), pool_(pool) {}
  ~Router() { stop(); }
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Takes requests for `server_id`'s agents from now on.
  void start(const std::string& server_id);
  void stop();

  // Hands the request to the agent's holder, if another live server holds it (asynchronous).
  void forward(RoutedItem item);
  // What a refresh of `topic` does for an agent whose session is here (set before start()).
  void on_refresh(std::string topic, std::function<void(const std::string& agent_id)> fn);
  // Runs the refresh of `topic` for the agent here (false: no such topic).
  bool refresh_here(const std::string& topic, const std::string& agent_id);
  // Carries out a batch another server sent (on the pool).
  void carry_out(const RoutedBatch& batch);

 private:
  void flush();

  store::Store& store_;
  bus::Bus* bus_;
  RunDispatch& dispatch_;
  SessionRegistry& sessions_;
  WorkerPool& pool_;
  std::string server_id_;
  std::unique_ptr<bus::Subscription> subscription_;

  std::map<std::string, std::function<void(const std::string&)>, std::less<>> refreshers_;

  std::mutex mu_;
  std::vector<RoutedItem> waiting_;
  bool flushing_ = false;
};

}  // namespace ris::fleet
