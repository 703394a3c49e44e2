#pragma once
// Cryptographic helpers for accounts and sessions, on libsodium: argon2id password hashes,
// random tokens, SHA-256, HMAC-SHA256 and HMAC-signed tokens, constant-time comparison.
// Thread safety: every function may be called concurrently (libsodium is initialised once,
// on first use or by init_crypto()).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace pb::server {

// Initialises libsodium. Idempotent and thread-safe; the other functions call it themselves,
// but the server calls it at startup so that a broken environment (no entropy source) is
// reported there rather than at the first login.
Status init_crypto();

// argon2id cost. The defaults are libsodium's OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE
// (2 passes over 64 MiB: ~0.1 s on a server core); minimal() is libsodium's floor, for tests.
struct PasswordHashLimits {
  std::uint64_t ops = 2;
  std::size_t mem_bytes = std::size_t{64} << 20;
  static constexpr PasswordHashLimits minimal() { return {1, 8192}; }
};

// The password's argon2id hash in the PHC string format ("$argon2id$v=19$m=...,t=...,p=1$
// salt$hash"), with a fresh random salt: store it as is. Errors: out of memory (a memory
// limit the machine cannot give), limits outside libsodium's range.
Result<std::string> hash_password(std::string_view password, PasswordHashLimits limits = {});
// Whether `password` matches `hash` (a string from hash_password; argon2i hashes are also
// understood). False for a malformed hash. Takes the hash's own cost in time and memory.
bool verify_password(std::string_view hash, std::string_view password);
// Whether `hash` was made with other limits (or another algorithm) than `limits`: after a
// successful login, rehash the password so that raised limits reach every account.
bool password_needs_rehash(std::string_view hash, PasswordHashLimits limits = {});

// `bytes` random bytes from the OS CSPRNG, base64url-encoded without padding (32 bytes give
// 43 characters). For session ids, CSRF tokens, password-reset and unsubscribe tokens.
std::string random_token(size_t bytes = 32);

// Lower-case hex SHA-256 (store the hash of a session token, not the token).
std::string sha256_hex(std::string_view data);

// HMAC-SHA256 of `message` under `key` (any length; at least 32 random bytes recommended),
// base64url without padding (43 characters). `key` must not be empty (PB_CHECK).
std::string hmac_sign(std::string_view key, std::string_view message);
// Whether `signature` is hmac_sign(key, message); the comparison takes constant time.
bool hmac_verify(std::string_view key, std::string_view message, std::string_view signature);

// Compares in time independent of the contents (the length may leak: compare fixed-length
// values such as hashes or MACs).
bool constant_time_equal(std::string_view a, std::string_view b);

// base64url (RFC 4648 section 5) without padding. Decoding is strict: padding, whitespace,
// characters outside the alphabet and non-zero trailing bits are rejected.
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

// "PAYLOAD.SIG": the payload base64url-encoded and the HMAC of that encoded text (so the
// token is URL- and cookie-safe). Signing proves integrity and origin, not secrecy: anyone
// can read the payload. Put an expiry inside the payload; open_signed_token does not know it.
std::string make_signed_token(std::string_view key, std::string_view payload);
// The payload of a token made by make_signed_token with `key`; nullopt if it is malformed or
// the signature does not match.
std::optional<std::string> open_signed_token(std::string_view key, std::string_view token);

}  // namespace pb::server
