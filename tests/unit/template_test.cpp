#include "server/template.hpp"

#include <gtest/gtest.h>

#include "server/assets.hpp"

namespace pb::server {
namespace {

using Json = nlohmann::json;

std::optional<std::string> no_partials(std::string_view) { return std::nullopt; }

std::string render(std::string_view text, const Json& data,
                   const Template::PartialLoader& partials = no_partials) {
  auto t = Template::compile("test", text, partials);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message());
  return t.ok() ? t->render(data) : "";
}

TEST(Template, DataDrivenCases) {
  struct Case {
    const char* text;
    const char* data;
    const char* want;
  };
  const Case cases[] = {
      {"Hi {{name}}!", R"({"name": "Ada"})", "Hi Ada!"},
      {"{{x}}", R"({"x": "<a href=\"x\">'&'</a>"})",
       "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"},
      {"{{{x}}}|{{& x}}", R"({"x": "<b>"})", "<b>|<b>"},
      {"{{missing}}.", "{}", "."},
      {"{{n}} {{f}} {{t}} {{z}}", R"({"n": 42, "f": 0.25, "t": true, "z": null})", "42 0.25 true "},
      {"{{a.b.c}}", R"({"a": {"b": {"c": "deep"}}})", "deep"},
      {"{{#list}}[{{.}}]{{/list}}", R"({"list": ["x", "y"]})", "[x][y]"},
      {"{{#list}}{{name}}{{/list}}{{^list}}none{{/list}}", R"({"list": []})", "none"},
      {"{{#obj}}{{k}}/{{top}}{{/obj}}", R"({"obj": {"k": 1}, "top": "T"})", "1/T"},
      {"{{#s}}<{{.}}>{{/s}}", R"({"s": "str"})", "<str>"},
      {"{{#e}}shown{{/e}}{{^e}}empty{{/e}}", R"({"e": ""})", "empty"},
      {"{{#b}}yes{{/b}}{{^b}}no{{/b}}", R"({"b": false})", "no"},
      {"{{#n}}zero is truthy{{/n}}", R"({"n": 0})", "zero is truthy"},
      {"{{! a comment }}x", "{}", "x"},
      {"{{#outer}}{{#inner}}{{v}}{{/inner}}{{/outer}}",
       R"({"outer": [{"inner": {"v": 1}}, {"inner": {"v": 2}}]})", "12"},
      {"{{ spaced }}", R"({"spaced": "ok"})", "ok"},
  };
  for (const auto& c : cases) EXPECT_EQ(render(c.text, Json::parse(c.data)), c.want) << c.text;
}

TEST(Template, PartialsAreIncludedAtCompileTime) {
  auto partials = [](std::string_view name) -> std::optional<std::string> {
    if (name == "item") return "<li>{{name}}</li>";
    if (name == "self") return "{{> self}}";
    return std::nullopt;
  };
  EXPECT_EQ(render("<ul>{{#items}}{{> item}}{{/items}}</ul>",
                   Json::parse(R"({"items": [{"name": "a"}, {"name": "<b>"}]})"), partials),
            "<ul><li>a</li><li>&lt;b&gt;</li></ul>");
  auto recursive = Template::compile("t", "{{> self}}", partials);
  ASSERT_FALSE(recursive.ok());
  EXPECT_NE(recursive.error().message().find("too deep"), std::string::npos);
}

TEST(Template, MalformedTemplatesAreErrors) {
  for (const char* bad :
       {"{{#a}}never closed", "{{#a}}{{/b}}", "{{/a}}", "{{unclosed", "{{> nothing}}", "{{}}"}) {
    auto t = Template::compile("bad", bad, no_partials);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.error().message().rfind("bad: ", 0), 0u) << t.error().message();
    }
  }
}

TEST(Template, EveryTemplateOfTheSiteCompiles) {
  auto partials = [](std::string_view name) -> std::optional<std::string> {
    const EmbeddedAsset* a = find_asset("templates/_" + std::string(name) + ".mustache");
    if (!a) return std::nullopt;
    return std::string(a->data);
  };
  int n = 0;
  for (const auto& a : embedded_assets()) {
    if (!a.path.ends_with(".mustache")) continue;
    auto t = Template::compile(a.path, a.data, partials);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message());
    ++n;
  }
  EXPECT_GE(n, 10);
}

}  // namespace
}  // namespace pb::server
