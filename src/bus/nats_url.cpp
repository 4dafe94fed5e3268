// Reads a NATS bus URL into options for cnats (see nats_bus.hpp for the forms). Strict: a
// typo in an option name or a port must stop risd at start with a message saying which part
// is wrong, not leave it retrying a server that can never answer.
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>

#include "nats_bus.hpp"

namespace ris::bus::detail {
namespace {

Failure bad(std::string message) {
  return fail(Errc::invalid_argument, "NATS URL: " + std::move(message));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// `what` names the part in the error; the value itself is not repeated (it may be a secret).
Result<std::string> percent_decode(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0)
      return bad(fmt::format("{} has a '%' not followed by two hex digits", what));
    out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
    i += 2;
  }
  return out;
}

bool valid_host(std::string_view h) {
  if (h.empty())
    return false;
  for (char c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
      return false;
  return true;
}

bool valid_ipv6(std::string_view h) {
  if (h.empty())
    return false;
  for (char c : h)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
      return false;
  return true;
}

struct Server {
  std::string scheme, user, password, canonical;
  bool has_userinfo = false;
};

Result<Server> parse_server(std::string_view item, std::string_view inherited_scheme) {
  Server s;
  std::string_view rest = item;
  if (auto p = item.find("://"); p != std::string_view::npos) {
    s.scheme = std::string(item.substr(0, p));
    rest = item.substr(p + 3);
    if (s.scheme != "nats" && s.scheme != "tls")
      return bad(fmt::format("unsupported scheme '{}://' (use nats:// or tls://)", s.scheme));
  } else if (inherited_scheme.empty()) {
    return bad("the first server needs a scheme: nats://HOST:PORT or tls://HOST:PORT");
  } else {
    s.scheme = std::string(inherited_scheme);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 != rest.size())
      return bad(fmt::format("a server takes no path ('{}')", rest.substr(slash)));
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    s.has_userinfo = true;
    std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = info.find(':');
    RIS_TRY(s.user, percent_decode(info.substr(0, colon), "the user name"));
    if (colon != std::string_view::npos) {
      RIS_TRY(s.password, percent_decode(info.substr(colon + 1), "the password"));
    }
    if (s.user.empty())
      return bad("the user name before '@' is empty");
  }
  std::string_view host, port;
  bool v6 = false;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      return bad(fmt::format("'{}': an IPv6 address needs a closing ']'", rest));
    host = rest.substr(1, close - 1);
    v6 = true;
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return bad(fmt::format("'{}': expected ':PORT' after ']'", rest));
      port = after.substr(1);
    }
    if (!valid_ipv6(host))
      return bad(fmt::format("'{}' is not an IPv6 address", host));
  } else {
    auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos)
      port = rest.substr(colon + 1);
    if (host.empty())
      return bad(fmt::format("server '{}://{}' has no host", s.scheme, rest));
    if (!valid_host(host))
      return bad(fmt::format("'{}' is not a host name or address (IPv6 needs brackets)", host));
  }
  unsigned port_number = 4222;
  if (!port.empty() || rest.ends_with(':')) {
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc{} || p != port.data() + port.size() || port_number == 0 ||
        port_number > 65535)
      return bad(fmt::format("port '{}' of host '{}' is not a number from 1 to 65535", port, host));
  }
  // cnats takes nats:// for both; TLS is an option (NatsOptions::tls).
  s.canonical = fmt::format("nats://{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port_number);
  return s;
}

Result<void> check_readable(std::string_view option, const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return bad(fmt::format("?{}=: cannot read file '{}'", option, path));
  return {};
}

}  // namespace

Result<NatsOptions> parse_nats_url(std::string_view url) {
  url = trim(url);
  if (url.empty())
    return bad("empty");
  NatsOptions out;
  std::string_view base = url, query;
  if (auto q = url.find('?'); q != std::string_view::npos) {
    base = url.substr(0, q);
    query = url.substr(q + 1);
  }

  std::string scheme;
  std::string user, password;
  bool userinfo_seen = false;
  while (true) {
    auto comma = base.find(',');
    std::string_view item = trim(base.substr(0, comma));
    if (item.empty())
      return bad("an empty server in the comma-separated list");
    RIS_TRY(Server s, parse_server(item, scheme));
    if (!scheme.empty() && s.scheme != scheme)
      return bad("all servers must use the same scheme (nats:// or tls://)");
    scheme = s.scheme;
    if (s.has_userinfo) {
      if (userinfo_seen && (s.user != user || s.password != password))
        return bad("the servers carry different credentials; give them once");
      userinfo_seen = true;
      user = s.user;
      password = s.password;
    }
    out.servers.push_back(std::move(s.canonical));
    if (comma == std::string_view::npos)
      break;
    base.remove_prefix(comma + 1);
  }
  // NATS's convention: a user name without a password is a token (nats://TOKEN@host).
  if (userinfo_seen && password.empty())
    out.token = user;
  else if (userinfo_seen) {
    out.user = user;
    out.password = password;
  }

  bool token_option = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (eq == std::string_view::npos || eq + 1 == pair.size())
      return bad(fmt::format("option '{}' needs a value ({}=...)", key, key));
    RIS_TRY(std::string value,
            percent_decode(pair.substr(eq + 1), fmt::format("the value of '{}'", key)));
    std::string* field = nullptr;
    if (key == "token")
      field = &out.token;
    else if (key == "creds")
      field = &out.creds_file;
    else if (key == "ca")
      field = &out.ca_file;
    else if (key == "cert")
      field = &out.cert_file;
    else if (key == "key")
      field = &out.key_file;
    else
      return bad(fmt::format("unknown option '{}' (known: token, creds, ca, cert, key)", key));
    if (!field->empty())
      return bad(key == "token" && !token_option && userinfo_seen
                     ? std::string("a token given both before '@' and as ?token=")
                     : fmt::format("option '{}' is given twice", key));
    if (key == "token")
      token_option = true;
    *field = std::move(value);
  }

  const int methods = (!out.user.empty() ? 1 : 0) + (!out.token.empty() ? 1 : 0) +
                      (!out.creds_file.empty() ? 1 : 0);
  if (methods > 1)
    return bad("give one kind of credentials: USER:PASSWORD@, a token, or ?creds=FILE");
  if (out.cert_file.empty() != out.key_file.empty())
    return bad("?cert= and ?key= (the client certificate and its key) go together");
  out.tls = scheme == "tls" || !out.ca_file.empty() || !out.cert_file.empty();
  if (!out.creds_file.empty())
    RIS_TRY_VOID(check_readable("creds", out.creds_file));
  if (!out.ca_file.empty())
    RIS_TRY_VOID(check_readable("ca", out.ca_file));
  if (!out.cert_file.empty()) {
    RIS_TRY_VOID(check_readable("cert", out.cert_file));
    RIS_TRY_VOID(check_readable("key", out.key_file));
  }
  return out;
}

}  // namespace ris::bus::detail
