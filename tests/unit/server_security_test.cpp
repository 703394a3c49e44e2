#include "server/security.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace pb::server {
namespace {

constexpr PasswordHashLimits kFast = PasswordHashLimits::minimal();

TEST(Crypto, InitIsIdempotent) {
  ASSERT_TRUE(init_crypto().ok());
  ASSERT_TRUE(init_crypto().ok());
}

TEST(Password, HashVerifiesRightAndRejectsWrong) {
  auto hash = hash_password("correct horse battery staple", kFast);
  ASSERT_TRUE(hash.ok()) << hash.error().message();
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find("correct"), std::string::npos);
  EXPECT_TRUE(verify_password(*hash, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(*hash, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(*hash, "Correct horse battery staple"));
  EXPECT_FALSE(verify_password(*hash, ""));
}

TEST(Password, SaltMakesEveryHashDifferent) {
  auto a = hash_password("pw", kFast);
  auto b = hash_password("pw", kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password(*a, "pw"));
  EXPECT_TRUE(verify_password(*b, "pw"));
}

TEST(Password, BinaryAndEmptyPasswords) {
  std::string with_nul("a\0b", 3);
  auto hash = hash_password(with_nul, kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(verify_password(*hash, with_nul));
  EXPECT_FALSE(verify_password(*hash, "a"));  // not cut at the NUL
  auto empty = hash_password("", kFast);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(verify_password(*empty, ""));
  EXPECT_FALSE(verify_password(*empty, " "));
}

TEST(Password, MalformedHashesNeverVerify) {
  auto hash = hash_password("pw", kFast);
  ASSERT_TRUE(hash.ok());
  std::string h = *hash;
  EXPECT_FALSE(verify_password("", "pw"));
  EXPECT_FALSE(verify_password("not a hash", "pw"));
  EXPECT_FALSE(verify_password(h.substr(0, h.size() - 1), "pw"));
  EXPECT_FALSE(verify_password(h + std::string(1, '\0'), "pw"));
  EXPECT_FALSE(verify_password(h + std::string(200, 'A'), "pw"));
  std::string flipped = h;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password(flipped, "pw"));
}

TEST(Password, LimitsAreCheckedAndRecorded) {
  EXPECT_FALSE(hash_password("pw", {0, 8192}).ok());
  EXPECT_FALSE(hash_password("pw", {1, 1024}).ok());
  auto hash = hash_password("pw", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(password_needs_rehash(*hash));  // made with other limits than the defaults
  EXPECT_FALSE(password_needs_rehash(*hash, kFast));
  EXPECT_TRUE(password_needs_rehash("garbage", kFast));
}

TEST(Password, InteractiveDefaults) {
  auto hash = hash_password("a real password");
  ASSERT_TRUE(hash.ok()) << hash.error().message();
  EXPECT_NE(hash->find("$m=65536,t=2,p=1$"), std::string::npos) << *hash;
  EXPECT_TRUE(verify_password(*hash, "a real password"));
  EXPECT_FALSE(verify_password(*hash, "a real passwore"));
  EXPECT_FALSE(password_needs_rehash(*hash));
}

TEST(Tokens, LengthAlphabetAndUniqueness) {
  EXPECT_EQ(random_token().size(), 43u);
  EXPECT_EQ(random_token(16).size(), 22u);
  EXPECT_EQ(random_token(0), "");
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string t = random_token();
    ASSERT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << t;
    auto raw = base64url_decode(t);
    ASSERT_TRUE(raw);
    ASSERT_EQ(raw->size(), 32u);
    ASSERT_TRUE(seen.insert(t).second) << "duplicate token " << t;
  }
  // Every base64 character position varies (a broken RNG often leaves some fixed).
  std::string a = random_token(), b = random_token(), c = random_token();
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] && b[i] == c[i];
  EXPECT_LT(same, 5);
}

TEST(Hashing, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hmac, Rfc4231KnownAnswers) {
  // RFC 4231 test cases 2 and 6 (a key longer than the block size), base64url.
  EXPECT_EQ(hmac_sign("Jefe", "what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
  EXPECT_EQ(
      hmac_sign(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "YOQxWR7gtn8Niiaqy_W3f44LxiE3KMUUBUYEDw7jf1Q");
}

TEST(Hmac, DetectsTampering) {
  const std::string key = "server secret key, 32+ bytes long....";
  const std::string msg = "user=42;exp=1750000000";
  std::string sig = hmac_sign(key, msg);
  EXPECT_TRUE(hmac_verify(key, msg, sig));
  EXPECT_FALSE(hmac_verify(key, "user=43;exp=1750000000", sig));
  EXPECT_FALSE(hmac_verify(key, msg + " ", sig));
  EXPECT_FALSE(hmac_verify(key + "x", msg, sig));
  EXPECT_FALSE(hmac_verify(key, msg, ""));
  EXPECT_FALSE(hmac_verify(key, msg, sig + "="));
  EXPECT_FALSE(hmac_verify(key, msg, sig.substr(1)));
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(hmac_verify(key, msg, bad)) << i;
  }
}

TEST(ConstantTimeEqual, Table) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(Base64Url, RoundTripAndStrictDecoding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("hello.world"), "aGVsbG8ud29ybGQ");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("aGVsbG8ud29ybGQ"), "hello.world");
  EXPECT_EQ(base64url_decode(""), "");
  for (std::string_view bad :
       {"a", "aGVsbG8ud29ybGQ=", "aGVs bG8", "+/8", "QR", "a\n", "aGVsbG8ud29ybGQ.", "====="}) {
    EXPECT_FALSE(base64url_decode(bad)) << bad;
  }
  std::mt19937 rng(5);
  for (int n = 0; n < 500; ++n) {
    std::string s(rng() % 50, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    ASSERT_EQ(base64url_decode(base64url_encode(s)), s);
  }
}

TEST(SignedToken, RoundTrip) {
  const std::string key = "k3y-for-signing-tokens-0123456789abcdef";
  for (std::string payload :
       {std::string(), std::string("uid=7.exp=123"), std::string("\0\xff binary.", 10)}) {
    std::string token = make_signed_token(key, payload);
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 1) << token;
    EXPECT_EQ(token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
              std::string::npos);
    EXPECT_EQ(open_signed_token(key, token), payload);
  }
}

TEST(SignedToken, RejectsForgeries) {
  const std::string key = "k3y-for-signing-tokens-0123456789abcdef";
  std::string token = make_signed_token(key, "uid=7;role=user");
  size_t dot = token.find('.');
  std::string sig = token.substr(dot + 1);
  EXPECT_FALSE(open_signed_token("another key", token));
  EXPECT_FALSE(open_signed_token(key, token.substr(0, dot)));  // no signature
  EXPECT_FALSE(open_signed_token(key, ""));
  EXPECT_FALSE(open_signed_token(key, "."));
  EXPECT_FALSE(open_signed_token(key, base64url_encode("uid=7;role=admin") + "." + sig));
  EXPECT_FALSE(open_signed_token(key, token + "x"));
  EXPECT_FALSE(open_signed_token(key, "x" + token));
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') continue;
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(open_signed_token(key, bad)) << i;
  }
  // A signature made for the raw payload is not a token signature.
  EXPECT_FALSE(
      open_signed_token(key, token.substr(0, dot) + "." + hmac_sign(key, "uid=7;role=user")));
}

}  // namespace
}  // namespace pb::server
