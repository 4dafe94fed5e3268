#include "ris/security/ed25519.hpp"

#include <openssl/pem.h>

#include "openssl_ptr.hpp"

namespace ris::security {
namespace {
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslDeleter<EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslDeleter<EVP_PKEY_CTX_free>>;

std::shared_ptr<evp_pkey_st> share(EVP_PKEY* key) {
  return {key, EVP_PKEY_free};
}

Result<std::string> bio_string(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0)
    return fail(Errc::internal, "cannot encode key: " + openssl_error());
  return std::string(data, static_cast<size_t>(len));
}
}  // namespace

Result<Ed25519Key> Ed25519Key::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key)
    return fail(Errc::internal, "cannot generate Ed25519 key: " + openssl_error());
  return Ed25519Key(share(key));
}

Result<Ed25519Key> Ed25519Key::from_private_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!key)
    return fail(Errc::invalid_argument, "not a PEM private key: " + openssl_error());
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return fail(Errc::invalid_argument, "not an Ed25519 key");
  }
  return Ed25519Key(share(key));
}

Result<std::string> Ed25519Key::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(Errc::internal, "cannot encode private key: " + openssl_error());
  return bio_string(bio.get());
}

Result<std::string> Ed25519Key::public_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1)
    return fail(Errc::internal, "cannot encode public key: " + openssl_error());
  return bio_string(bio.get());
}

std::string Ed25519Key::public_raw() const {
  std::string out(32, '\0');
  size_t len = out.size();
  EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

Result<std::string> Ed25519Key::sign(std::string_view data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return fail(Errc::internal, "cannot sign: " + openssl_error());
  sig.resize(len);
  return sig;
}

bool ed25519_verify(std::string_view public_raw, std::string_view data,
                    std::string_view signature) {
  if (public_raw.size() != 32 || signature.size() != 64)
    return false;
  EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_raw.data()), 32));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace ris::security
