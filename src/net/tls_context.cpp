// TLS settings for the server: TLS 1.3 only unless the operator opts into 1.2, and then only
// forward-secret AEAD suites. Buffers released when idle (many mostly idle agent connections).
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>
#include <boost/asio/buffer.hpp>

#include "server_state.hpp"

namespace ris::net {

namespace ssl = boost::asio::ssl;

Result<ssl::context> make_tls_context(const std::string& cert_chain_pem, const std::string& key_pem,
                                      const std::string& min_version,
                                      const std::string& client_ca_pem) {
  ssl::context ctx(ssl::context::tls_server);
  SSL_CTX* native = ctx.native_handle();
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  const int min = min_version == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  if (SSL_CTX_set_min_proto_version(native, min) != 1)
    return fail(Errc::internal, "cannot set the minimum TLS version");
  SSL_CTX_set_ciphersuites(
      native, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256");
  SSL_CTX_set_cipher_list(native,
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(native, reinterpret_cast<const unsigned char*>("risd"), 4);

  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(cert_chain_pem), ec);
  if (ec)
    return fail(Errc::invalid_argument,
                fmt::format("TLS certificate chain rejected: {}", ec.message()));
  ctx.use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec)
    return fail(Errc::invalid_argument, fmt::format("TLS private key rejected: {}", ec.message()));
  if (SSL_CTX_check_private_key(native) != 1)
    return fail(Errc::invalid_argument, "TLS private key does not match the certificate");
  if (!client_ca_pem.empty()) {
    ctx.add_certificate_authority(boost::asio::buffer(client_ca_pem), ec);
    if (ec)
      return fail(Errc::invalid_argument, fmt::format("client CA rejected: {}", ec.message()));
    // Ask for a certificate, accept connections without one (people, browsers); a presented
    // certificate that does not verify fails the handshake.
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

std::string verified_peer_cn(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
    return {};
  char cn[256] = {};
  const int n =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return n > 0 ? std::string(cn, static_cast<size_t>(n)) : std::string();
}

}  // namespace ris::net
