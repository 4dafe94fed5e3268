#include "ris/security/jwt.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>

#include "ris/core/base64.hpp"

namespace ris::security {
namespace {
constexpr size_t kMaxTokenBytes = 8192;

Failure rejected(std::string why) {
  return fail(Errc::unauthenticated, "invalid access token: " + why);
}

Result<boost::json::object> decode_json_part(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes)
    return rejected("bad encoding");
  boost::system::error_code ec;
  auto value = boost::json::parse(*bytes, ec);
  if (ec || !value.is_object())
    return rejected("bad JSON");
  return std::move(value.as_object());
}

const JwtKey* find(const std::vector<JwtKey>& keys, std::string_view kid) {
  for (const auto& k : keys)
    if (k.kid == kid)
      return &k;
  return nullptr;
}

bool string_claim_is(const boost::json::object& claims, std::string_view name,
                     std::string_view want) {
  const auto* v = claims.if_contains(name);
  if (!v)
    return false;
  if (v->is_string())
    return v->as_string() == want;
  if (v->is_array())  // "aud" may be an array (RFC 7519 §4.1.3)
    for (const auto& e : v->as_array())
      if (e.is_string() && e.as_string() == want)
        return true;
  return false;
}
}  // namespace

void JwtKeyRing::add(JwtKey key) {
  std::unique_lock lock(mutex_);
  keys_.push_back(std::move(key));
}

Result<void> JwtKeyRing::set_active(std::string_view kid) {
  std::unique_lock lock(mutex_);
  if (!find(keys_, kid))
    return fail(Errc::not_found, "no signing key " + std::string(kid));
  active_ = std::string(kid);
  return {};
}

void JwtKeyRing::remove(std::string_view kid) {
  std::unique_lock lock(mutex_);
  std::erase_if(keys_, [&](const JwtKey& k) { return k.kid == kid && k.kid != active_; });
}

Result<std::string> JwtKeyRing::sign(const boost::json::object& claims) const {
  std::shared_lock lock(mutex_);
  const JwtKey* key = find(keys_, active_);
  if (!key)
    return fail(Errc::internal, "no active signing key");
  boost::json::object header{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", key->kid}};
  std::string input = base64url_encode(boost::json::serialize(header)) + "." +
                      base64url_encode(boost::json::serialize(claims));
  RIS_TRY(std::string sig, key->key.sign(input));
  return input + "." + base64url_encode(sig);
}

Result<boost::json::object> JwtKeyRing::verify(std::string_view token, int64_t now,
                                               std::string_view issuer,
                                               std::string_view audience) const {
  if (token.size() > kMaxTokenBytes)
    return rejected("too long");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return rejected("not a JWS compact serialization");
  RIS_TRY(auto header, decode_json_part(token.substr(0, dot1)));
  const auto* alg = header.if_contains("alg");
  const auto* kid = header.if_contains("kid");
  // Only EdDSA: "none" and HMAC-with-the-public-key confusions are impossible by construction.
  if (!alg || !alg->is_string() || alg->as_string() != "EdDSA")
    return rejected("unsupported alg");
  if (!kid || !kid->is_string())
    return rejected("no kid");
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature)
    return rejected("bad signature encoding");
  {
    std::shared_lock lock(mutex_);
    const JwtKey* key = find(keys_, kid->as_string());
    if (!key)
      return rejected("unknown kid");
    if (!ed25519_verify(key->key.public_raw(), token.substr(0, dot2), *signature))
      return rejected("bad signature");
  }
  RIS_TRY(auto claims, decode_json_part(token.substr(dot1 + 1, dot2 - dot1 - 1)));
  const auto* exp = claims.if_contains("exp");
  if (!exp || !exp->is_int64() || exp->as_int64() <= now)
    return rejected("expired");
  if (const auto* nbf = claims.if_contains("nbf");
      nbf && (!nbf->is_int64() || nbf->as_int64() > now))
    return rejected("not yet valid");
  if (!string_claim_is(claims, "iss", issuer))
    return rejected("wrong issuer");
  if (!string_claim_is(claims, "aud", audience))
    return rejected("wrong audience");
  return claims;
}

boost::json::object JwtKeyRing::jwks() const {
  std::shared_lock lock(mutex_);
  boost::json::array keys;
  for (const auto& k : keys_)
    keys.push_back(boost::json::object{{"kty", "OKP"},
                                       {"crv", "Ed25519"},
                                       {"x", base64url_encode(k.key.public_raw())},
                                       {"kid", k.kid},
                                       {"alg", "EdDSA"},
                                       {"use", "sig"}});
  return {{"keys", std::move(keys)}};
}

}  // namespace ris::security
