// One NATS connection set up from a bus URL (private to src/bus): shared by the Bus
// (nats_bus.cpp) and the Stream (nats_stream.cpp), so both read the URL, authenticate, use TLS
// and reconnect the same way.
#pragma once
#include <nats/nats.h>

#include <string_view>

#include "nats_bus.hpp"
#include "ris/core/result.hpp"

namespace ris::bus::detail {

// What a connection logs its state changes as: "<component>_connected", "_disconnected",
// "_reconnected", "_error", "_slow_consumer". Must outlive the connection (a literal).
struct NatsComponent {
  const char* name;         // "bus", "stream"
  const char* client_name;  // what the NATS server shows for the connection ("risd")
};

// Connects in the background: returns at once even if no server is up yet (logging
// "<component>_disconnected"), and reconnects forever with jitter. While disconnected,
// publishes go to an 8 MiB reconnect buffer. Fails only on a bad URL or options cnats refuses
// (Errc::invalid_argument), or a connection cnats refuses for good (Errc::unavailable).
// `opts` and `nc` are set as far as they got, also on failure: the caller destroys them.
Result<void> connect_nats(std::string_view url, const NatsComponent* component, natsOptions*& opts,
                          natsConnection*& nc);

// The server's or cnats' words for the last error on this thread, else the status's text.
std::string nats_error_text(natsStatus s);

}  // namespace ris::bus::detail
