#include "ris/security/secret_box.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "openssl_ptr.hpp"
#include "ris/core/base64.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/random.hpp"
#include "ris/security/secure_file.hpp"

namespace ris::security {
namespace {
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxPlaintextBytes = 16 << 20;  // far above any secret; keeps lengths in int
constexpr size_t kKeyIdChars = 8;

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpensslDeleter<EVP_CIPHER_CTX_free>>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

void cleanse(std::string& s) {
  if (!s.empty())
    OPENSSL_cleanse(s.data(), s.size());
}

// Standard base64 with padding, for the key file (what `openssl rand -base64 32` writes).
std::string base64_std(std::string_view raw) {
  std::string out = base64url_encode(raw);
  std::replace(out.begin(), out.end(), '-', '+');
  std::replace(out.begin(), out.end(), '_', '/');
  while (out.size() % 4 != 0)
    out.push_back('=');
  return out;
}

// Either alphabet, padding optional.
std::optional<std::string> base64_any(std::string_view text) {
  std::string t(text);
  while (!t.empty() && t.back() == '=')
    t.pop_back();
  std::replace(t.begin(), t.end(), '+', '-');
  std::replace(t.begin(), t.end(), '/', '_');
  auto out = base64url_decode(t);
  cleanse(t);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Failure unopenable(std::string_view context, std::string_view why) {
  return fail(Errc::internal,
              "cannot open the secret stored as " + std::string(context) + ": " + std::string(why));
}
}  // namespace

bool is_sealed(std::string_view text) {
  return text.starts_with(kSealedPrefix);
}

std::string generate_master_key() {
  return random_bytes(kMasterKeyBytes);
}

std::string master_key_id(std::string_view key) {
  return sha256_hex(key).substr(0, kKeyIdChars);
}

std::string format_master_key_file(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys)
    out += base64_std(k) + "\n";
  return out;
}

Result<std::vector<std::string>> parse_master_key_file(std::string_view text,
                                                       std::string_view name) {
  std::vector<std::string> keys;
  int lineno = 0;
  while (!text.empty()) {
    ++lineno;
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#')
      continue;
    auto key = base64_any(line);
    if (!key || key->size() != kMasterKeyBytes) {
      if (key)
        cleanse(*key);
      for (auto& k : keys)
        cleanse(k);
      return fail(Errc::invalid_argument, std::string(name) + ":" + std::to_string(lineno) +
                                              ": not a base64 " + std::to_string(kMasterKeyBytes) +
                                              "-byte key");
    }
    keys.push_back(std::move(*key));
  }
  if (keys.empty())
    return fail(Errc::invalid_argument, std::string(name) + " holds no key");
  for (size_t i = 0; i < keys.size(); ++i)
    for (size_t j = i + 1; j < keys.size(); ++j)
      if (master_key_id(keys[i]) == master_key_id(keys[j]))
        return fail(Errc::invalid_argument,
                    std::string(name) + " holds key " + master_key_id(keys[i]) + " twice");
  return keys;
}

Result<std::optional<std::vector<std::string>>> read_master_key_file(
    const std::filesystem::path& path) {
  RIS_TRY(auto text, read_small_file(path, kOwnerOnly));
  if (!text)
    return std::optional<std::vector<std::string>>();
  auto keys = parse_master_key_file(*text, path.string());
  cleanse(*text);
  if (!keys)
    return fail(keys.error());
  return std::optional<std::vector<std::string>>(std::move(*keys));
}

Result<void> write_master_key_file(const std::filesystem::path& path,
                                   const std::vector<std::string>& keys) {
  std::string text = format_master_key_file(keys);
  auto r = write_file_atomic(path, text, 0600);
  cleanse(text);
  return r;
}

Result<SecretBox> SecretBox::from_keys(std::vector<std::string> keys) {
  if (keys.empty())
    return fail(Errc::invalid_argument, "a secret box needs at least one master key");
  std::vector<Key> out;
  for (auto& k : keys) {
    if (k.size() != kMasterKeyBytes)
      return fail(Errc::invalid_argument,
                  "a master key must be " + std::to_string(kMasterKeyBytes) + " bytes");
    out.push_back({master_key_id(k), std::move(k)});
  }
  return SecretBox(std::move(out));
}

Result<SecretBox> SecretBox::load(const std::filesystem::path& key_file) {
  RIS_TRY(auto keys, read_master_key_file(key_file));
  if (!keys)
    return fail(Errc::not_found, "no master key file at '" + key_file.string() + "'");
  return from_keys(std::move(*keys));
}

Result<SecretBox> SecretBox::load_or_create(const std::filesystem::path& key_file, bool* created) {
  if (created)
    *created = false;
  const auto dir = key_file.has_parent_path() ? key_file.parent_path() : ".";
  RIS_TRY_VOID(ensure_private_dir(dir));
  RIS_TRY(DirLock lock, DirLock::acquire(dir));
  RIS_TRY(auto keys, read_master_key_file(key_file));
  if (keys)
    return from_keys(std::move(*keys));
  std::vector<std::string> fresh{generate_master_key()};
  RIS_TRY_VOID(write_master_key_file(key_file, fresh));
  if (created)
    *created = true;
  return from_keys(std::move(fresh));
}

SecretBox::~SecretBox() {
  for (auto& k : keys_)
    cleanse(k.bytes);
}

const SecretBox::Key* SecretBox::find(std::string_view id) const {
  for (const auto& k : keys_)
    if (k.id == id)
      return &k;
  return nullptr;
}

const std::string& SecretBox::current_key_id() const {
  return keys_.front().id;
}

std::vector<std::string> SecretBox::key_ids() const {
  std::vector<std::string> ids;
  for (const auto& k : keys_)
    ids.push_back(k.id);
  return ids;
}

Result<std::string> SecretBox::seal(std::string_view plaintext, std::string_view context) const {
  if (plaintext.size() > kMaxPlaintextBytes || context.size() > kMaxPlaintextBytes)
    return fail(Errc::too_large, "a secret to seal is larger than 16 MiB");
  const Key& key = keys_.front();
  std::string blob = random_bytes(kNonceBytes);
  blob.resize(kNonceBytes + plaintext.size() + kTagBytes);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  // GCM's default IV length is 12 bytes, which is what we give it.
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key.bytes), bytes(blob)) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(context),
                        static_cast<int>(context.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes(blob) + kNonceBytes, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes(blob) + kNonceBytes + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          bytes(blob) + kNonceBytes + plaintext.size()) != 1)
    return fail(Errc::internal, "AES-256-GCM encryption failed: " + openssl_error());
  return std::string(kSealedPrefix) + key.id + ":" + base64url_encode(blob);
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view context) const {
  if (!is_sealed(sealed))
    return unopenable(context, "it is not in the sealed form (ris:enc:v1:…)");
  std::string_view rest = sealed.substr(kSealedPrefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos)
    return unopenable(context, "it has no key id");
  const std::string_view id = rest.substr(0, colon);
  const Key* key = find(id);
  if (!key) {
    std::string ids;
    for (const auto& k : keys_)
      ids += (ids.empty() ? "" : ", ") + k.id;
    return unopenable(context, "it was sealed under master key " + std::string(id) +
                                   ", which is not in the master key file (it holds " + ids + ")");
  }
  auto blob = base64url_decode(rest.substr(colon + 1));
  if (!blob || blob->size() < kNonceBytes + kTagBytes)
    return unopenable(context, "it is not valid base64url or too short");
  if (context.size() > kMaxPlaintextBytes || blob->size() > kMaxPlaintextBytes + 64)
    return unopenable(context, "it is larger than 16 MiB");
  const size_t n = blob->size() - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key->bytes), bytes(*blob)) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(context),
                        static_cast<int>(context.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), bytes(out), &len, bytes(*blob) + kNonceBytes,
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          bytes(*blob) + kNonceBytes + n) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes(out) + len, &tail) != 1) {
    openssl_error();  // drain the queue: a failed tag check is the expected outcome here
    cleanse(out);
    return unopenable(context, "it was altered, sealed for another place, or under another key");
  }
  return out;
}

Result<std::string> SecretBox::open_or_plain(std::string_view stored,
                                             std::string_view context) const {
  if (!is_sealed(stored))
    return std::string(stored);
  return open(stored, context);
}

bool SecretBox::is_current(std::string_view stored) const {
  if (!is_sealed(stored))
    return false;
  std::string_view rest = stored.substr(kSealedPrefix.size());
  return rest.starts_with(keys_.front().id) && rest.size() > kKeyIdChars &&
         rest[kKeyIdChars] == ':';
}

Result<std::string> SecretBox::reseal(std::string_view stored, std::string_view context) const {
  RIS_TRY(std::string plain, open_or_plain(stored, context));
  auto sealed = seal(plain, context);
  cleanse(plain);
  return sealed;
}

}  // namespace ris::security
