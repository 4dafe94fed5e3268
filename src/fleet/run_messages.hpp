// What agents report about runs — task_ack (started), task_output (a chunk of output) and
// task_result (the final state) — stored through the run repository. State writes go through
// the group commit; output, which is not on the acknowledgement's critical path of a fan-out,
// in its own short transaction.
#pragma once
#include <cstddef>

#include "fleet_events.hpp"
#include "message_handlers.hpp"
#include "ris/store/store.hpp"

namespace ris::fleet {

class RunMessages {
 public:
  RunMessages(store::Store& store, FleetEvents& events, size_t output_cap_bytes)
      : store_(store), events_(events), output_cap_bytes_(output_cap_bytes) {}

  void register_into(MessageHandlers& handlers);

 private:
  Result<void> on_ack(InboundMessage& m);
  Result<void> on_output(InboundMessage& m);
  Result<void> on_result(InboundMessage& m);

  store::Store& store_;
  FleetEvents& events_;
  const size_t output_cap_bytes_;
};

}  // namespace ris::fleet
