#include "server/security.hpp"

#include <sodium.h>

#include <cstring>

namespace pb::server {
namespace {

static_assert(PasswordHashLimits{}.ops == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
static_assert(PasswordHashLimits{}.mem_bytes == crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
static_assert(PasswordHashLimits::minimal().ops == crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(PasswordHashLimits::minimal().mem_bytes == crypto_pwhash_argon2id_MEMLIMIT_MIN);

constexpr int kBase64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

// sodium_init() is itself thread-safe and idempotent; the static just remembers its answer.
bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string encode(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, kBase64Variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, kBase64Variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

}  // namespace

Status init_crypto() {
  if (!sodium_ready()) return Error::internal("libsodium could not be initialised");
  return ok_status();
}

Result<std::string> hash_password(std::string_view password, PasswordHashLimits limits) {
  PB_RETURN_IF_ERROR(init_crypto());
  if (limits.ops < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      limits.ops > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
      limits.mem_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      limits.mem_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX)
    return Error::invalid_input("password hash limits out of range");
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), limits.ops,
                                 limits.mem_bytes) != 0)
    return Error::internal("password hashing failed (out of memory?)");
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (!sodium_ready()) return false;
  // libsodium reads the hash as a C string.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      hash.find('\0') != std::string_view::npos)
    return false;
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view hash, PasswordHashLimits limits) {
  if (!sodium_ready()) return true;
  if (hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string_view::npos)
    return true;
  std::string h(hash);
  // 0: same algorithm and limits; 1: other limits; -1: not an argon2id hash.
  return crypto_pwhash_argon2id_str_needs_rehash(h.c_str(), limits.ops, limits.mem_bytes) != 0;
}

std::string random_token(size_t size) {
  PB_CHECK(sodium_ready());
  std::string raw(size, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string token = base64url_encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return token;
}

std::string sha256_hex(std::string_view data) {
  PB_CHECK(sodium_ready());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes(data), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string hmac_sign(std::string_view key, std::string_view message) {
  PB_CHECK(!key.empty());
  PB_CHECK(sodium_ready());
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, bytes(key), key.size());
  crypto_auth_hmacsha256_update(&state, bytes(message), message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return encode(mac, sizeof mac);
}

bool hmac_verify(std::string_view key, std::string_view message, std::string_view signature) {
  // Comparing the canonical encodings: a signature is accepted in exactly one spelling.
  return constant_time_equal(hmac_sign(key, message), signature);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64url_encode(std::string_view data) { return encode(bytes(data), data.size()); }

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.empty()) return std::string();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t size = 0;
  // With b64_end == nullptr, libsodium fails unless the whole input is consumed.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &size, nullptr, kBase64Variant) != 0)
    return std::nullopt;
  out.resize(size);
  return out;
}

std::string make_signed_token(std::string_view key, std::string_view payload) {
  std::string token = base64url_encode(payload);
  std::string sig = hmac_sign(key, token);
  token += '.';
  token += sig;
  return token;
}

std::optional<std::string> open_signed_token(std::string_view key, std::string_view token) {
  size_t dot = token.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view encoded = token.substr(0, dot);
  if (!hmac_verify(key, encoded, token.substr(dot + 1))) return std::nullopt;
  return base64url_decode(encoded);
}

}  // namespace pb::server
