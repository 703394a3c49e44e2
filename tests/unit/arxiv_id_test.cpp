#include "core/arxiv_id.hpp"

#include <gtest/gtest.h>

namespace pb {
namespace {

struct IdCase {
  const char* input;
  const char* id;  // nullptr: invalid
  int version;
};

class ArxivIdTest : public ::testing::TestWithParam<IdCase> {};

TEST_P(ArxivIdTest, ParsesAndNormalises) {
  const auto& c = GetParam();
  auto id = ArxivId::parse(c.input);
  if (c.id == nullptr) {
    EXPECT_FALSE(id.has_value()) << c.input << " parsed as " << id->id;
    return;
  }
  ASSERT_TRUE(id.has_value()) << c.input;
  EXPECT_EQ(id->id, c.id);
  EXPECT_EQ(id->version, c.version);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ArxivIdTest,
    ::testing::Values(IdCase{"2401.01234v2", "2401.01234", 2},
                      IdCase{"2401.01234", "2401.01234", 0}, IdCase{"0704.0001", "0704.0001", 0},
                      IdCase{"0704.0001v12", "0704.0001", 12},
                      IdCase{"hep-th/9901001v1", "hep-th/9901001", 1},
                      IdCase{"hep-th/9901001", "hep-th/9901001", 0},
                      IdCase{"math.AG/0309136", "math.AG/0309136", 0},
                      IdCase{"math.ag/0309136v3", "math.AG/0309136", 3},
                      IdCase{"cond-mat/0702123", "cond-mat/0702123", 0},
                      IdCase{"arXiv:1706.03762v7", "1706.03762", 7},
                      IdCase{"https://arxiv.org/abs/2401.01234v2", "2401.01234", 2},
                      IdCase{"http://arxiv.org/pdf/2401.01234v1.pdf", "2401.01234", 1},
                      IdCase{"oai:arXiv.org:0704.0001", "0704.0001", 0},
                      IdCase{"  2408.07172v1 ", "2408.07172", 1},
                      // invalid
                      IdCase{"", nullptr, 0},
                      IdCase{"2401.1234", nullptr, 0},   // 2015+ needs 5 digits
                      IdCase{"1401.12345", nullptr, 0},  // 2007-2014 has 4
                      IdCase{"2413.01234", nullptr, 0},  // month 13
                      IdCase{"0703.0001", nullptr, 0},   // before April 2007
                      IdCase{"2401.01234v0", nullptr, 0}, IdCase{"2401.01234v", nullptr, 0},
                      IdCase{"hep-th/990100", nullptr, 0}, IdCase{"HEP_TH/9901001", nullptr, 0},
                      IdCase{"hep-th/9913001", nullptr, 0}, IdCase{"not an id", nullptr, 0},
                      IdCase{"2401.01234\xff", nullptr, 0}, IdCase{"2401.01234v2v3", nullptr, 0}));

TEST(ArxivId, WithVersionAndDateParts) {
  auto id = ArxivId::parse("hep-th/9901001v1");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->with_version(), "hep-th/9901001v1");
  EXPECT_TRUE(id->old_style());
  EXPECT_EQ(id->year(), 1999);
  EXPECT_EQ(id->month(), 1);
  auto n = ArxivId::parse("2401.01234");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->with_version(), "2401.01234");
  EXPECT_EQ(n->year(), 2024);
  EXPECT_FALSE(n->old_style());
}

}  // namespace
}  // namespace pb
