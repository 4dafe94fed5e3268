// Secrets at rest: AES-256-GCM under a master key, before a secret reaches a repository or a
// file. A sealed value is text, so it fits any TEXT column or JSON string:
//
//   ris:enc:v1:<key id>:<base64url(12-byte nonce | ciphertext | 16-byte tag)>
//
// The key id (first 8 hex digits of SHA-256 of the key) names the master key that sealed it,
// so after a rotation old and new values open side by side. Each value is bound to a
// *context* (authenticated, not stored): where it lives, e.g. "accounts.totp_secret". A value
// copied into another column or file does not open there.
//
// The master key file holds base64 keys, one a line: the current key first (it seals and
// opens), then older keys kept during a rotation (they only open). `risd admin
// rotate-master-key` writes "new\nold", re-seals every value (see resealers.hpp), then "new".
//
// A SecretBox is immutable once made: its const methods are safe from any thread.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::security {

inline constexpr std::string_view kSealedPrefix = "ris:enc:v1:";
inline constexpr size_t kMasterKeyBytes = 32;

// True when `text` has the sealed form's prefix (whether or not it would open).
bool is_sealed(std::string_view text);

// 32 new random bytes: a master key.
std::string generate_master_key();
// The key id: first 8 lower-case hex digits of SHA-256 of `key`.
std::string master_key_id(std::string_view key);

// The key file's text: one standard base64 key a line, current first. Parsing also accepts
// base64url, blank lines and # comments (so `openssl rand -base64 32` makes a valid file).
std::string format_master_key_file(const std::vector<std::string>& keys);
Result<std::vector<std::string>> parse_master_key_file(std::string_view text,
                                                       std::string_view name);
// The keys in `path`; nullopt when it does not exist. Refuses a file group or others can
// read, one without keys, keys that are not 32 bytes, and two keys with the same id.
Result<std::optional<std::vector<std::string>>> read_master_key_file(
    const std::filesystem::path& path);
// Replaces `path` atomically (temp file, fsync, rename), mode 0600.
Result<void> write_master_key_file(const std::filesystem::path& path,
                                   const std::vector<std::string>& keys);

class SecretBox {
 public:
  // `keys[0]` is the current key; the others only open. Each is 32 raw bytes.
  static Result<SecretBox> from_keys(std::vector<std::string> keys);
  // The keys of an existing key file.
  static Result<SecretBox> load(const std::filesystem::path& key_file);
  // Like load; when the file does not exist, creates it (0600) with one new key, under a lock
  // on its directory so two processes starting together agree on one key.
  static Result<SecretBox> load_or_create(const std::filesystem::path& key_file,
                                          bool* created = nullptr);

  SecretBox(SecretBox&&) noexcept = default;
  SecretBox& operator=(SecretBox&&) noexcept = default;
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;
  ~SecretBox();

  // Seals `plaintext` under the current key with a fresh random nonce (so the same secret
  // seals differently each time). `context` says where the value is stored.
  Result<std::string> seal(std::string_view plaintext, std::string_view context) const;
  // The plaintext of `sealed`, opened with the key its id names. Errc::internal, with a message
  // that names the context and key id (never the secret), when it is not in the sealed form,
  // names a key not in the file, was altered, or was sealed for another context.
  Result<std::string> open(std::string_view sealed, std::string_view context) const;
  // open() when `stored` is sealed, `stored` itself when it is not: for reading a value written
  // before encryption existed, once, while migrating it. Elsewhere use open(), so a value put
  // into the database by someone without the key is refused.
  Result<std::string> open_or_plain(std::string_view stored, std::string_view context) const;
  // True when `stored` is sealed under the current key: a rotation has nothing to do for it.
  bool is_current(std::string_view stored) const;
  // `stored` opened (with any key; a value not sealed yet is taken as plaintext) and sealed
  // again under the current key.
  Result<std::string> reseal(std::string_view stored, std::string_view context) const;

  const std::string& current_key_id() const;
  std::vector<std::string> key_ids() const;  // current first

 private:
  struct Key {
    std::string id, bytes;
  };
  explicit SecretBox(std::vector<Key> keys) : keys_(std::move(keys)) {}
  const Key* find(std::string_view id) const;
  std::vector<Key> keys_;
};

}  // namespace ris::security
