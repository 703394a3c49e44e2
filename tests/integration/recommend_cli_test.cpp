// `paperboy recommend` through the binary, on the demo corpus, with a user whose library is
// written straight into the data directory's store.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "store/store.hpp"
#include "test_util.hpp"

namespace pb {
namespace {

using pb::testing::run;
using pb::testing::TempDir;

TEST(RecommendCli, ExplainedRecommendationsFromALibrary) {
  TempDir dir;
  const std::string data = (dir / "data").string();
  const std::string demo = (pb::testing::source_dir() / "examples" / "demo-papers.jsonl").string();
  auto r = run({"--data", data, "ingest", demo});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    auto store = open_sqlite_store({.data_dir = data});
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto u = (*store)->create_user("ada", "ada@example.org", "x", 1);
    ASSERT_TRUE(u.ok());
    ASSERT_TRUE((*store)->save_paper(*u, "2006.11239", {}, 2).ok());  // DDPM
    ASSERT_TRUE((*store)->set_vote(*u, "2011.13456", true, 3).ok());  // score-based SDEs
    ASSERT_TRUE((*store)->create_user("bob", "bob@example.org", "x", 1).ok());
  }
  r = run({"--data", data, "recommend", "--user", "ada", "--days", "3650", "-k", "5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["basis"], "library");
  EXPECT_EQ(j["positives"], 2);
  const auto& items = j["items"];
  ASSERT_EQ(items.size(), 5u);
  std::vector<std::string> top3;
  for (size_t i = 0; i < 3; ++i) top3.push_back(items[i]["id"]);
  EXPECT_TRUE(std::find(top3.begin(), top3.end(), "1503.03585") != top3.end() ||
              std::find(top3.begin(), top3.end(), "2112.10752") != top3.end())
      << r.out;
  for (const auto& it : items) {
    EXPECT_NE(it["id"], "2006.11239");
    EXPECT_NE(it["id"], "2011.13456");
    EXPECT_FALSE(it["terms"].empty());
    ASSERT_TRUE(it.contains("nearest"));
    EXPECT_TRUE(it["nearest"]["id"] == "2006.11239" || it["nearest"]["id"] == "2011.13456");
  }
  // Not interested: recorded, then never recommended.
  const std::string top = items[0]["id"];
  r = run({"--data", data, "recommend", "--user", "ada", "--days", "3650", "-k", "5", "--json",
           "--not-interested", top});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  for (const auto& it : j["items"]) EXPECT_NE(it["id"], top);
  EXPECT_EQ(
      run({"--data", data, "recommend", "--user", "ada", "--not-interested", "nope"}).exit_code, 2);
  // Text output, by e-mail address.
  r = run({"--data", data, "recommend", "--user", "ADA@example.org", "--days", "3650"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("terms: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("like 20"), std::string::npos) << r.out;
  // Nothing to learn from: a note, no error.
  r = run({"--data", data, "recommend", "--user", "bob"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no recommendations"), std::string::npos);
  // Unknown user: exit 6.
  r = run({"--data", data, "recommend", "--user", "nobody"});
  EXPECT_EQ(r.exit_code, 6) << r.out;
}

}  // namespace
}  // namespace pb
