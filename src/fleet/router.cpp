#include "router.hpp"

#include <map>

#include "presence_repository.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"

namespace ris::fleet {

std::string server_agents_subject(std::string_view server_id) {
  return "ris.server." + std::string(server_id) + ".agents";
}

void Router::start(const std::string& server_id) {
  // On the in-process bus nobody else would listen, and a subscription of ours would make every
  // publisher build events for nobody (Bus::has_subscribers).
  if (!bus_ || bus_->backend() == "in-process")
    return;
  server_id_ = server_id;
  subscription_ = bus_->subscribe(
      server_agents_subject(server_id), [this](std::string_view, const bus::Message& m) {
        // On the bus's thread: parse here (cheap), act on the pool (dispatch may query).
        auto batch = parse_routed_batch(*m);
        if (!batch)
          return log::warn("routed_batch_refused", {{"error", batch.error().message}});
        pool_.post([this, b = std::move(*batch)] { carry_out(b); });
      });
}

void Router::stop() {
  subscription_.reset();
}

void Router::on_refresh(std::string topic, std::function<void(const std::string& agent_id)> fn) {
  refreshers_[std::move(topic)] = std::move(fn);
}

bool Router::refresh_here(const std::string& topic, const std::string& agent_id) {
  auto it = refreshers_.find(topic);
  if (it == refreshers_.end())
    return false;
  it->second(agent_id);
  return true;
}

void Router::forward(RoutedItem item) {
  if (!bus_ || server_id_.empty())
    return;
  std::lock_guard lock(mu_);
  waiting_.push_back(std::move(item));
  if (flushing_)
    return;  // the running flush takes it on its next round
  flushing_ = true;
  pool_.post([this] { flush(); });
}

void Router::flush() {
  for (;;) {
    std::vector<RoutedItem> items;
    {
      std::lock_guard lock(mu_);
      if (waiting_.empty()) {
        flushing_ = false;
        return;
      }
      items.swap(waiting_);
    }
    std::vector<std::string> agents;
    agents.reserve(items.size());
    for (const auto& i : items)
      agents.push_back(i.agent_id);
    auto held = PresenceRepository(store_).holders(agents, now_rfc3339());
    if (!held) {
      // Not lost: runs are stored; the holder's sweeper hands out what is due.
      log::warn("route_lookup_failed",
                {{"items", static_cast<int64_t>(items.size())}, {"error", held.error().message}});
      continue;
    }
    std::unordered_map<std::string, std::string> holder(held->begin(), held->end());
    std::map<std::string, RoutedBatch> batches;
    for (auto& i : items) {
      auto it = holder.find(i.agent_id);
      if (it == holder.end() || it->second == server_id_)
        continue;  // nobody holds it (its hello redelivers), or it just connected here
      auto& b = batches[it->second];
      b.from = server_id_;
      b.items.push_back(std::move(i));
      if (b.items.size() == kMaxRoutedItems) {
        bus_->publish(server_agents_subject(it->second),
                      std::make_shared<const std::string>(serialize(b)));
        b.items.clear();
      }
    }
    for (const auto& [server, b] : batches)
      if (!b.items.empty())
        bus_->publish(server_agents_subject(server),
                      std::make_shared<const std::string>(serialize(b)));
  }
}

void Router::carry_out(const RoutedBatch& batch) {
  bool hand_out = false;
  for (const auto& i : batch.items) {
    switch (i.op) {
      case RoutedItem::Op::send_run:
        // Checked against the store: a bus message cannot make us send another agent's run.
        dispatch_.send_stored_run(i.agent_id, i.run_id);
        break;
      case RoutedItem::Op::dispatch_pending:
        hand_out = true;  // one query for all of them, below
        break;
      case RoutedItem::Op::cancel:
        dispatch_.cancel(i.agent_id, i.run_id);
        break;
      case RoutedItem::Op::refresh:
        if (sessions_.find(i.agent_id) && !refresh_here(i.topic, i.agent_id))
          log::warn("routed_refresh_unknown", {{"topic", i.topic}, {"from", batch.from}});
        break;
      case RoutedItem::Op::disconnect:
        if (auto s = sessions_.find(i.agent_id))
          s->close(i.code, i.reason);
        break;
    }
  }
  if (hand_out)
    dispatch_.hand_out_due(server_id_);
}

}  // namespace ris::fleet
