#pragma once
// A logic-less template engine for the subset of Mustache the site's pages use, rendering
// straight from nlohmann::json (no conversion of the data into another tree):
//
//   {{name}}  {{a.b}}  {{.}}        value, HTML-escaped (& < > " ')
//   {{{name}}}  {{& name}}          value, unescaped (only for HTML we made ourselves)
//   {{#name}}...{{/name}}           section: once for a truthy value (pushed as the context),
//                                   once per element of a non-empty array
//   {{^name}}...{{/name}}           inverted section: when the value is falsy or missing
//   {{> name}}                      partial, included when the template is compiled
//   {{! comment}}
//
// Falsy: missing, null, false, an empty array and an empty string (in our model an empty
// string means "unknown"). Names are looked up from the innermost context outwards; a dotted
// name resolves its first part that way and the rest inside it.
//
// A compiled Template is immutable: render() may run on many threads at once.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb::server {

class Template {
 public:
  using PartialLoader = std::function<std::optional<std::string>(std::string_view name)>;

  // Compiles `text` (named `name` in errors). Unbalanced sections, unknown partials and
  // partials nested deeper than 8 are errors.
  static Result<Template> compile(std::string_view name, std::string_view text,
                                  const PartialLoader& partials);

  std::string render(const nlohmann::json& data) const;
  void render(const nlohmann::json& data, std::string& out) const;

  struct Node;

 private:
  std::vector<Node> nodes_;
};

struct Template::Node {
  enum class Kind { kText, kEscaped, kRaw, kSection, kInverted };
  Kind kind = Kind::kText;
  std::string text;               // kText
  std::vector<std::string> path;  // the name split at dots; empty for "."
  std::vector<Node> children;     // sections
};

}  // namespace pb::server
