// The processes risbench spreads its load over (`risbench sim …`, `risbench subscribe …`): each
// runs one event loop and prints what it measured as lines on stdout, times in CLOCK_MONOTONIC
// nanoseconds:
//   open                                 an agent's (or subscriber's) WebSocket is up
//   closed REASON                        … and went down
//   rehomed T                            an agent whose connection went down was accepted
//                                        again (hello_ack) at T, by another server
//   acked RUN T                          a run's result was acknowledged (stored) by risd at T
//   stream RUN FIRST ACKED CHUNKS        a run sent CHUNKS output chunks from FIRST, all stored
//                                        by ACKED
//   received N FIRST LAST                a subscriber got N messages between FIRST and LAST
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ris::bench {

struct SimOptions {
  std::string server;                // https://127.0.0.1:PORT
  std::filesystem::path ca_file;     // risd's CA
  std::filesystem::path identities;  // agents.jsonl
  size_t from = 0, to = 0;           // which lines (agents) this process simulates
  int heartbeat_seconds = 10;
  size_t max_connecting = 200;  // handshakes in flight at once (the first connections)
  // Every server of the cluster: an agent whose connection goes down reconnects as ris-agent
  // does (jittered, doubling back-off from 250–500 ms, capped at 30 s; the next server of its
  // own order after each failure) and reports when it is rehomed. Empty: no reconnecting.
  std::vector<std::string> servers;
};
// Simulated agents: real TLS client certificates and protocol (hello, heartbeats, task_ack,
// task_output, task_result, acks). Tasks are `echo`; parameters bench_chunks / bench_bytes /
// bench_delay_ms make a run stream output instead (throughput). Signatures of control messages
// are not verified here: the cost measured is risd's, not the agent's.
int run_sim(const SimOptions& o);

struct SubscribeOptions {
  std::string kind;  // "ris" (/events/v1) or "nats" (NATS over WebSocket)
  std::string url;   // wss://127.0.0.1:PORT/events/v1 or wss://127.0.0.1:PORT
  std::filesystem::path ca_file;
  std::string token, space, task;  // ris: what to subscribe to
  std::string subject;             // nats
  size_t connections = 1;
  size_t expect = 0;  // messages each connection waits for
};
int run_subscribers(const SubscribeOptions& o);

}  // namespace ris::bench
