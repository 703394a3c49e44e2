#include "server/config.hpp"

#include <gtest/gtest.h>

#include "../test_support.hpp"

namespace pb::server {
namespace {

TEST(Config, ParsesKeysValuesQuotesAndComments) {
  auto entries = parse_config(
      "\xEF\xBB\xBF# paperboy serve settings\n"
      "\n"
      "listen = 127.0.0.1:8080\r\n"
      "  data_dir=/var/lib/paperboy  \n"
      "\t# indented comment\n"
      "site_name = \"paperboy # local \\\"dev\\\" \\\\\"\n"
      "motd = 'single \\ quotes keep \"everything\"'   \n"
      "empty =\n"
      "quoted_empty = \"\"\n"
      "url = https://x.example/#frag\n"
      "expr = a=b\n"
      "smtp.host-name_2 = mail",
      "serve.conf");
  ASSERT_TRUE(entries.ok()) << entries.error().message();
  ConfigEntries want = {
      {"listen", "127.0.0.1:8080"},
      {"data_dir", "/var/lib/paperboy"},
      {"site_name", "paperboy # local \"dev\" \\"},
      {"motd", "single \\ quotes keep \"everything\""},
      {"empty", ""},
      {"quoted_empty", ""},
      {"url", "https://x.example/#frag"},
      {"expr", "a=b"},
      {"smtp.host-name_2", "mail"},
  };
  EXPECT_EQ(*entries, want);
}

TEST(Config, EmptyInputs) {
  for (std::string_view text : {"", "\n", "# only a comment", "\r\n\r\n", "   \t  "}) {
    auto entries = parse_config(text, "x");
    ASSERT_TRUE(entries.ok()) << text;
    EXPECT_TRUE(entries->empty());
  }
}

TEST(Config, ErrorsNameFileAndLine) {
  struct Case {
    std::string_view text, error;
  };
  for (auto [text, error] : std::initializer_list<Case>{
           {"listen 8080", "serve.conf:1: expected 'key = value'"},
           {"# c\n\n = v", "serve.conf:3: missing key before '='"},
           {"a = 1\nbad key = v",
            "serve.conf:2: invalid key 'bad key' (use letters, digits, '_', '.', '-')"},
           {"a = 1\nb = 2\r\na = 3", "serve.conf:3: duplicate key 'a' (first set on line 1)"},
           {"a = \"open", "serve.conf:1: unterminated \" quote"},
           {"a = 'open", "serve.conf:1: unterminated ' quote"},
           {"a = \"x\" y", "serve.conf:1: unexpected text after the closing quote"},
           {"a = \"x\" # comment", "serve.conf:1: unexpected text after the closing quote"},
           {"a = \"\\n\"",
            "serve.conf:1: unknown escape in double-quoted value (use \\\" or \\\\)"},
           {"ok = 1\n\na = \xff", "serve.conf:3: invalid UTF-8"},
           {std::string_view("a = x\0y", 7), "serve.conf:1: NUL byte"},
       }) {
    auto entries = parse_config(text, "serve.conf");
    ASSERT_FALSE(entries.ok()) << text;
    EXPECT_EQ(entries.error().code(), ErrorCode::kInvalidInput);
    EXPECT_EQ(entries.error().message(), error);
    EXPECT_EQ(entries.error().message().find('\n'), std::string::npos);
  }
}

TEST(Config, ReadsFiles) {
  pb::testing::TempDir dir;
  auto path = pb::testing::write_file(dir / "serve.conf", "port = 8080\nbad line\n");
  auto entries = read_config_file(path);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.error().message(), path.string() + ":2: expected 'key = value'");
  pb::testing::write_file(path, "port = 8080\n");
  entries = read_config_file(path);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(*entries, (ConfigEntries{{"port", "8080"}}));

  auto missing = read_config_file(dir / "nope.conf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_TRUE(missing.error().message().starts_with((dir / "nope.conf").string() + ": "));
  auto directory = read_config_file(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace pb::server
