// The NATS backend of the Bus (private to src/bus): how a bus URL is read, and the factory
// open_bus() calls for nats:// and tls:// URLs.
//
//   nats://HOST[:PORT][,HOST[:PORT]...][?OPTION=VALUE&...]      tls://... turns TLS on
//   credentials: nats://USER:PASSWORD@HOST, ?token=TOKEN, or ?creds=FILE (NATS decentralised
//   auth: a .creds file holding the user JWT and its NKey seed)
//   TLS: ?ca=FILE (also turns TLS on), ?cert=FILE&key=FILE (client certificate)
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ris/bus/bus.hpp"

namespace ris::bus::detail {

struct NatsOptions {
  std::vector<std::string> servers;  // "nats://host:port" (TLS or not), without credentials
  bool tls = false;
  std::string user, password;  // from USER:PASSWORD@ (percent-decoded)
  std::string token;
  std::string creds_file, ca_file, cert_file, key_file;
};

// Errors are Errc::invalid_argument and name the part that is wrong; they never repeat a
// password or a token.
Result<NatsOptions> parse_nats_url(std::string_view url);

// Connects in the background: returns at once even if no server is up yet, and reconnects
// forever. Fails only on a bad URL or options cnats refuses (unreadable certificates).
Result<std::unique_ptr<Bus>> open_nats_bus(std::string_view url);

}  // namespace ris::bus::detail
