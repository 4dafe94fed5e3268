#include "ris/fleet/protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "ris/core/base64.hpp"
#include "ris/security/random.hpp"

namespace ris::fleet {
namespace {
std::string str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
}  // namespace

bool is_control(std::string_view t) {
  return t == "task_execution" || t == "task_cancel" || t == "services_desired";
}

Result<Envelope> parse_envelope(std::string_view text) {
  if (text.size() > kMaxAgentMessageBytes)
    return fail(Errc::too_large, "message too large");
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object())
    return fail(Errc::invalid_argument, "message is not a JSON object");
  auto& o = v.as_object();
  Envelope e;
  e.message_type = str(o, "message_type");
  if (e.message_type.empty())
    return fail(Errc::invalid_argument, "message_type is required");
  e.task_id = str(o, "task_id");
  e.client_id = str(o, "client_id");
  if (const auto* s = o.if_contains("seq"); s && s->is_int64())
    e.seq = s->as_int64();
  if (const auto* p = o.if_contains("payload")) {
    if (!p->is_object())
      return fail(Errc::invalid_argument, "payload must be an object");
    e.payload = p->as_object();
  }
  if (const auto* sec = o.if_contains("security"); sec && sec->is_object()) {
    e.signature = str(sec->as_object(), "signature");
    e.timestamp = str(sec->as_object(), "timestamp");
    e.nonce = str(sec->as_object(), "nonce");
  }
  return e;
}

std::string serialize(const Envelope& e) {
  boost::json::object o{{"message_type", e.message_type}, {"seq", e.seq}, {"payload", e.payload}};
  if (!e.task_id.empty())
    o["task_id"] = e.task_id;
  if (!e.client_id.empty())
    o["client_id"] = e.client_id;
  if (!e.signature.empty())
    o["security"] = {{"signature", e.signature}, {"timestamp", e.timestamp}, {"nonce", e.nonce}};
  return boost::json::serialize(o);
}

// Boost.JSON keeps object order and prints numbers in shortest round-trip form, so the payload
// re-serialised by the agent is byte-identical to what the server signed.
std::string signing_input(const Envelope& e) {
  return "ris-agent-v1\n" + e.message_type + "\n" + e.task_id + "\n" + e.client_id + "\n" +
         std::to_string(e.seq) + "\n" + e.timestamp + "\n" + e.nonce + "\n" +
         boost::json::serialize(e.payload);
}

Result<void> sign(Envelope& e, const security::Ed25519Key& key) {
  e.timestamp = now_rfc3339();
  e.nonce = security::random_token(16);
  RIS_TRY(std::string sig, key.sign(signing_input(e)));
  e.signature = base64url_encode(sig);
  return {};
}

Result<void> ReplayGuard::check(const Envelope& e, SystemTime now) {
  if (e.signature.empty())
    return fail(Errc::unauthenticated, "unsigned control message refused");
  auto sig = base64url_decode(e.signature);
  if (!sig || !security::ed25519_verify(public_, signing_input(e), *sig))
    return fail(Errc::unauthenticated, "control message with a bad signature refused");
  auto t = parse_rfc3339(e.timestamp);
  if (!t || *t < now - window_ || *t > now + window_)
    return fail(Errc::unauthenticated,
                "stale control message refused (timestamp " + e.timestamp + ")");
  while (!order_.empty() && order_.front().first < now - 2 * window_) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
  if (!seen_.insert(e.nonce).second)
    return fail(Errc::unauthenticated, "replayed control message refused (nonce seen before)");
  order_.emplace_back(*t, e.nonce);
  return {};
}

}  // namespace ris::fleet
