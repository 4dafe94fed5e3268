// The connection options every NATS connection of RIS uses (see nats_connect.hpp).
#include "nats_connect.hpp"

#include <fmt/format.h>

#include <mutex>
#include <string>
#include <vector>

#include "ris/core/log.hpp"

namespace ris::bus::detail {
namespace {

constexpr int kReconnectBufferBytes = 8 << 20;
constexpr int64_t kReconnectWaitMs = 500, kReconnectJitterMs = 500, kReconnectJitterTlsMs = 1000;
constexpr int64_t kConnectTimeoutMs = 2000, kWriteDeadlineMs = 2000;
constexpr int64_t kPingIntervalMs = 4000;
constexpr int kMaxPingsOut = 2;

std::string connected_url(natsConnection* nc) {
  char buf[256] = {};
  if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK)
    return {};
  return buf;
}

std::string event(void* closure, std::string_view what) {
  return fmt::format("{}_{}", static_cast<const NatsComponent*>(closure)->name, what);
}

void on_connected(natsConnection* nc, void* closure) {
  log::info(event(closure, "connected"), {{"backend", "nats"}, {"url", connected_url(nc)}});
}
void on_disconnected(natsConnection* nc, void* closure) {
  if (natsConnection_Status(nc) == NATS_CONN_STATUS_CLOSED)
    return;  // our own close
  log::warn(event(closure, "disconnected"), {{"backend", "nats"}});
}
void on_reconnected(natsConnection* nc, void* closure) {
  log::info(event(closure, "reconnected"), {{"backend", "nats"}, {"url", connected_url(nc)}});
}
void on_error(natsConnection*, natsSubscription* sub, natsStatus err, void* closure) {
  boost::json::object f{{"backend", "nats"}, {"error", natsStatus_GetText(err)}};
  if (sub != nullptr)
    f["subject"] = natsSubscription_GetSubject(sub);
  log::warn(event(closure, err == NATS_SLOW_CONSUMER ? "slow_consumer" : "error"), std::move(f));
}

Result<void> check(natsStatus s, std::string_view what) {
  if (s == NATS_OK)
    return {};
  return fail(Errc::invalid_argument, fmt::format("NATS URL: {}: {}", what, nats_error_text(s)));
}

}  // namespace

std::string nats_error_text(natsStatus s) {
  const char* detail = nats_GetLastError(nullptr);
  std::string_view text = detail != nullptr && *detail ? detail : natsStatus_GetText(s);
  // cnats puts where in its sources the error arose first: "(jsm.c:1033): subjects overlap".
  if (text.starts_with('(')) {
    if (auto end = text.find("): "); end != std::string_view::npos)
      text.remove_prefix(end + 3);
  }
  return std::string(text);
}

Result<void> connect_nats(std::string_view url, const NatsComponent* component, natsOptions*& opts,
                          natsConnection*& nc) {
  RIS_TRY(NatsOptions o, parse_nats_url(url));
  static std::once_flag pool_once;
  std::call_once(pool_once, [] { nats_SetMessageDeliveryPoolSize(2); });

  void* closure = const_cast<NatsComponent*>(component);
  RIS_TRY_VOID(check(natsOptions_Create(&opts), "options"));
  std::vector<const char*> servers;
  for (const auto& s : o.servers)
    servers.push_back(s.c_str());
  RIS_TRY_VOID(check(natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size())),
                     "servers"));
  RIS_TRY_VOID(check(natsOptions_SetName(opts, component->client_name), "name"));
  if (!o.user.empty())
    RIS_TRY_VOID(check(natsOptions_SetUserInfo(opts, o.user.c_str(), o.password.c_str()),
                       "user and password"));
  if (!o.token.empty())
    RIS_TRY_VOID(check(natsOptions_SetToken(opts, o.token.c_str()), "token"));
  if (!o.creds_file.empty())
    RIS_TRY_VOID(check(natsOptions_SetUserCredentialsFromFiles(opts, o.creds_file.c_str(), nullptr),
                       fmt::format("?creds={}", o.creds_file)));
  if (o.tls) {
    RIS_TRY_VOID(check(natsOptions_SetSecure(opts, true), "TLS"));
    if (!o.ca_file.empty())
      RIS_TRY_VOID(check(natsOptions_LoadCATrustedCertificates(opts, o.ca_file.c_str()),
                         fmt::format("?ca={}", o.ca_file)));
    if (!o.cert_file.empty())
      RIS_TRY_VOID(
          check(natsOptions_LoadCertificatesChain(opts, o.cert_file.c_str(), o.key_file.c_str()),
                fmt::format("?cert={}&key={}", o.cert_file, o.key_file)));
  }
  RIS_TRY_VOID(check(natsOptions_SetTimeout(opts, kConnectTimeoutMs), "timeout"));
  RIS_TRY_VOID(check(natsOptions_SetMaxReconnect(opts, -1), "reconnect"));
  RIS_TRY_VOID(check(natsOptions_SetReconnectWait(opts, kReconnectWaitMs), "reconnect"));
  RIS_TRY_VOID(check(
      natsOptions_SetReconnectJitter(opts, kReconnectJitterMs, kReconnectJitterTlsMs), "jitter"));
  RIS_TRY_VOID(check(natsOptions_SetReconnectBufSize(opts, kReconnectBufferBytes), "buffer"));
  RIS_TRY_VOID(check(natsOptions_SetWriteDeadline(opts, kWriteDeadlineMs), "write deadline"));
  RIS_TRY_VOID(check(natsOptions_SetPingInterval(opts, kPingIntervalMs), "ping"));
  RIS_TRY_VOID(check(natsOptions_SetMaxPingsOut(opts, kMaxPingsOut), "ping"));
  RIS_TRY_VOID(check(natsOptions_UseGlobalMessageDelivery(opts, true), "delivery"));
  RIS_TRY_VOID(
      check(natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, closure), "retry"));
  RIS_TRY_VOID(check(natsOptions_SetDisconnectedCB(opts, on_disconnected, closure), "callback"));
  RIS_TRY_VOID(check(natsOptions_SetReconnectedCB(opts, on_reconnected, closure), "callback"));
  RIS_TRY_VOID(check(natsOptions_SetErrorHandler(opts, on_error, closure), "callback"));

  natsStatus s = natsConnection_Connect(&nc, opts);
  if (s == NATS_OK) {
    on_connected(nc, closure);
  } else if (s == NATS_NOT_YET_CONNECTED) {
    log::warn(event(closure, "disconnected"),
              {{"backend", "nats"}, {"reason", "no server up yet; retrying"}});
  } else {
    nc = nullptr;
    return fail(Errc::unavailable, fmt::format("NATS: cannot connect: {}", nats_error_text(s)));
  }
  return {};
}

}  // namespace ris::bus::detail
