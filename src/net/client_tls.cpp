#include "client_tls.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/buffer.hpp>
#include <memory>

namespace ris::net {
namespace {
template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;

std::string der_sha256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<boost::asio::ssl::context> make_client_context(const ClientTls& tls) {
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION);
  ctx.set_verify_mode(
      boost::asio::ssl::verify_none);  // verify_server() decides, after the handshake
  if (!tls.cert_pem.empty()) {
    boost::system::error_code ec;
    ctx.use_certificate_chain(boost::asio::buffer(tls.cert_pem), ec);
    if (!ec)
      ctx.use_private_key(boost::asio::buffer(tls.key_pem), boost::asio::ssl::context::pem, ec);
    if (ec)
      return fail(Errc::invalid_argument, "client certificate or key rejected: " + ec.message());
  }
  if (tls.ca_pem.empty() && tls.ca_sha256.empty() && !tls.system_roots)
    return fail(Errc::invalid_argument, "a CA certificate or a CA hash to pin is required");
  return ctx;
}

}  // namespace

Result<std::shared_ptr<const PreparedTls>> prepare_tls(const ClientTls& tls) {
  RIS_TRY(auto ctx, make_client_context(tls));
  return std::shared_ptr<const PreparedTls>(std::make_shared<PreparedTls>(std::move(ctx), tls));
}

namespace {
// Verifies the server's chain against `store` for `host` (an IP literal or a DNS name).
Result<void> verify_chain(X509_STORE* store, X509* leaf, STACK_OF(X509) * chain,
                          const std::string& host, std::string_view hint) {
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store, leaf, chain);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (X509_verify_cert(ctx.get()) != 1)
    return fail(Errc::unauthenticated,
                std::string("server certificate rejected: ") +
                    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())) +
                    std::string(hint));
  return {};
}
}  // namespace

Result<std::string> verify_server(SSL* ssl, const ClientTls& tls, const std::string& host) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (!leaf)
    return fail(Errc::unauthenticated, "the server sent no certificate");
  StorePtr store(X509_STORE_new());
  if (tls.ca_pem.empty() && tls.ca_sha256.empty()) {
    // The system's trust store, for a server with a certificate from a public CA.
    X509_STORE_set_default_paths(store.get());
    RIS_TRY_VOID(verify_chain(store.get(), leaf, chain, host,
                              " (by the system's trust store; give the server's CA with "
                              "--ca-file or --ca-hash)"));
    return std::string();
  }
  X509Ptr anchor;
  if (!tls.ca_pem.empty()) {
    BioPtr bio(BIO_new_mem_buf(tls.ca_pem.data(), static_cast<int>(tls.ca_pem.size())));
    anchor.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!anchor)
      return fail(Errc::invalid_argument, "the CA certificate is not valid PEM");
  } else {
    for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
      X509* c = sk_X509_value(chain, i);
      if (der_sha256(c) == tls.ca_sha256) {
        X509_up_ref(c);
        anchor.reset(c);
        break;
      }
    }
    if (!anchor)
      return fail(Errc::unauthenticated, "the server's CA does not match the pinned hash " +
                                             tls.ca_sha256 +
                                             " (wrong server, or a man in the middle)");
  }
  X509_STORE_add_cert(store.get(), anchor.get());
  RIS_TRY_VOID(verify_chain(store.get(), leaf, chain, host, ""));
  return to_pem(anchor.get());
}

Result<Url> parse_https_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://"))
    rest = url.substr(8);
  else if (url.starts_with("wss://"))
    rest = url.substr(6);
  else
    return fail(Errc::invalid_argument,
                "URL must start with https:// (got \"" + std::string(url) + "\")");
  Url u;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return fail(Errc::invalid_argument, "unterminated IPv6 literal in URL");
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else {
    const size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port = authority.substr(colon + 1);
  }
  if (u.host.empty())
    return fail(Errc::invalid_argument, "URL has no host");
  if (!port.empty()) {
    unsigned v = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || (v = v * 10 + static_cast<unsigned>(c - '0')) > 65535)
        return fail(Errc::invalid_argument, "bad port in URL");
    }
    if (v == 0)
      return fail(Errc::invalid_argument, "bad port in URL");
    u.port = static_cast<uint16_t>(v);
  }
  return u;
}

}  // namespace ris::net
