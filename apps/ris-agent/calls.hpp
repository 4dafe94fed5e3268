// ris-agent's data commands (calls.cpp): kv get / kv watch / pub / sub with the agent's identity.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ris::agent_cli {

struct CallOptions {
  std::string state_dir;
  std::vector<std::string> args;  // the command's positional arguments
  int64_t limit = 0;              // watch, sub: stop after this many (0: never)
  int64_t from_revision = 0;      // watch
  std::string content_type = "text/plain", idempotency_key;  // pub
};

int kv_get(const CallOptions& o);     // args: KEY
int kv_watch(const CallOptions& o);   // args: PREFIX
int publish(const CallOptions& o);    // args: TOPIC MESSAGE
int subscribe(const CallOptions& o);  // args: TOPIC SUBSCRIPTION

}  // namespace ris::agent_cli
