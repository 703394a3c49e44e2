// safetensors reader: conversions, validation of every offset and shape, corrupt files.

#include "embed/safetensors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../test_support.hpp"

namespace pb::embed {
namespace {

std::string image(const std::string& header, const std::string& payload) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + payload;
}

Result<std::unique_ptr<SafeTensors>> parse(const std::string& bytes) {
  return SafeTensors::parse(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()),
      "test");
}

std::string le16(std::initializer_list<std::uint16_t> v) {
  std::string s;
  for (auto x : v) {
    s.push_back(static_cast<char>(x & 0xff));
    s.push_back(static_cast<char>(x >> 8));
  }
  return s;
}

std::string f32(std::initializer_list<float> v) {
  std::string s;
  for (float x : v) s.append(reinterpret_cast<const char*>(&x), 4);
  return s;
}

// A valid file with three tensors of each float type.
std::string valid_file() {
  std::string header = R"({"__metadata__":{"format":"pt"},)"
                       R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                       R"("h":{"dtype":"F16","shape":[5],"data_offsets":[16,26]},)"
                       R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[26,32]},)"
                       R"("i":{"dtype":"I64","shape":[1],"data_offsets":[32,40]}})";
  std::string payload = f32({1.0f, -2.5f, 3.25f, 0.0f}) +
                        le16({0x3C00, 0xC000, 0x0001, 0x7C00, 0x3555}) +
                        le16({0x3F80, 0xC0A0, 0x0000}) + std::string(8, '\0');
  return image(header, payload);
}

TEST(SafeTensors, ReadsAndConvertsFloatTypes) {
  std::string file = valid_file();
  auto st = parse(file);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ((*st)->tensors().size(), 4u);
  std::vector<std::int64_t> shape = {2, 2};
  auto a = (*st)->read_float("a", shape);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<float>{1.0f, -2.5f, 3.25f, 0.0f}));
  auto h = (*st)->read_float("h");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)[0], 1.0f);
  EXPECT_EQ((*h)[1], -2.0f);
  EXPECT_FLOAT_EQ((*h)[2], std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf((*h)[3]));
  EXPECT_NEAR((*h)[4], 0.333251953125, 1e-9);
  auto b = (*st)->read_float("b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<float>{1.0f, -5.0f, 0.0f}));
  // Integer tensors are listed but not converted; wrong shapes and missing names are errors.
  EXPECT_FALSE((*st)->read_float("i").ok());
  std::vector<std::int64_t> wrong = {4};
  auto w = (*st)->read_float("a", wrong);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message().find("shape [2, 2], expected [4]"), std::string::npos);
  EXPECT_FALSE((*st)->read_float("nope").ok());
}

TEST(SafeTensors, HalfConversionMatchesEveryValue) {
  // Every finite half value converts to the float that has the same value.
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    auto h = static_cast<std::uint16_t>(bits);
    int exp = (h >> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 31) continue;
    double v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
    if (h & 0x8000) v = -v;
    ASSERT_EQ(half_to_float(h), static_cast<float>(v)) << bits;
  }
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
}

TEST(SafeTensors, EveryTruncationIsAnErrorNotACrash) {
  std::string file = valid_file();
  for (std::size_t n = 0; n < file.size(); ++n) {
    auto st = parse(file.substr(0, n));
    EXPECT_FALSE(st.ok()) << n;
  }
}

TEST(SafeTensors, RejectsCorruptHeaders) {
  auto bad = [](const std::string& header, const std::string& payload, const char* fragment) {
    auto st = parse(image(header, payload));
    ASSERT_FALSE(st.ok()) << header;
    EXPECT_NE(st.error().message().find(fragment), std::string::npos) << st.error().message();
  };
  bad("not json", "", "not a JSON object");
  bad("[1,2]", "", "not a JSON object");
  bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234", "outside the file");
  bad(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, 'x'),
      "shape [3] but 8 bytes");
  bad(R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}})",
      std::string(8, 'x'), "bytes");
  bad(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "1234", "bad shape");
  bad(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", "1234", "outside");
  bad(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", "1234", "data_offsets");
  bad(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}})", "1234", "unknown dtype");
  bad(R"({"a":{"dtype":"F32","shape":[1]}})", "1234", "lacks");
  bad(R"({"a":7})", "", "not an object");
  // A header length beyond the file.
  std::string huge(8, '\xff');
  auto st = parse(huge + "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("exceeds"), std::string::npos);
}

TEST(SafeTensors, OpensFilesAndReportsMissingOnes) {
  pb::testing::TempDir dir;
  auto path = pb::testing::write_file(dir / "m.safetensors", valid_file());
  auto st = SafeTensors::open(path);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE((*st)->find("a"));
  EXPECT_EQ((*st)->file_bytes().size(), valid_file().size());
  EXPECT_FALSE(SafeTensors::open(dir / "missing").ok());
  EXPECT_FALSE(SafeTensors::open(dir.path()).ok());  // a directory
  pb::testing::write_file(dir / "short", "abc");
  auto s = SafeTensors::open(dir / "short");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace pb::embed
