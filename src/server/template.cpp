#include "server/template.hpp"

#include <fmt/format.h>

#include "server/html.hpp"

namespace pb::server {
namespace {

using Json = nlohmann::json;
using Node = Template::Node;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_path(std::string_view name) {
  std::vector<std::string> out;
  if (name == ".") return out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('.', i);
    if (j == std::string_view::npos) j = name.size();
    out.emplace_back(name.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Node make_node(Node::Kind kind, std::string text, std::vector<std::string> path = {}) {
  Node n;
  n.kind = kind;
  n.text = std::move(text);
  n.path = std::move(path);
  return n;
}

struct Compiler {
  std::string_view name;
  const Template::PartialLoader& partials;

  // Parses `text` into `out` until `{{/close}}` (or the end when close is empty).
  Status parse(std::string_view text, size_t& pos, std::vector<Node>& out, std::string_view close,
               int depth) {
    while (pos < text.size()) {
      size_t open = text.find("{{", pos);
      if (open == std::string_view::npos) open = text.size();
      if (open > pos)
        out.push_back(make_node(Node::Kind::kText, std::string(text.substr(pos, open - pos))));
      if (open == text.size()) break;
      bool triple = text.compare(open, 3, "{{{") == 0;
      size_t end = text.find(triple ? "}}}" : "}}", open);
      if (end == std::string_view::npos)
        return Error::invalid_input(fmt::format("{}: unclosed tag at byte {}", name, open));
      std::string_view tag = text.substr(open + (triple ? 3 : 2), end - open - (triple ? 3 : 2));
      pos = end + (triple ? 3 : 2);
      if (triple) {
        out.push_back(make_node(Node::Kind::kRaw, {}, split_path(trim(tag))));
        continue;
      }
      tag = trim(tag);
      if (tag.empty()) return Error::invalid_input(fmt::format("{}: empty tag", name));
      const char sigil = tag.front();
      std::string_view rest = trim(tag.substr(1));
      switch (sigil) {
        case '!':
          break;
        case '&':
          out.push_back(make_node(Node::Kind::kRaw, {}, split_path(rest)));
          break;
        case '#':
        case '^': {
          Node n = make_node(sigil == '#' ? Node::Kind::kSection : Node::Kind::kInverted, {},
                             split_path(rest));
          PB_RETURN_IF_ERROR(parse(text, pos, n.children, rest, depth));
          out.push_back(std::move(n));
          break;
        }
        case '/':
          if (rest != close)
            return Error::invalid_input(fmt::format("{}: {{{{/{}}}}} closes {}", name, rest,
                                                    close.empty() ? "nothing" : close));
          return Status();
        case '>': {
          if (depth >= 8)
            return Error::invalid_input(fmt::format("{}: partials nested too deep", name));
          auto body = partials(rest);
          if (!body)
            return Error::invalid_input(fmt::format("{}: unknown partial '{}'", name, rest));
          size_t p = 0;
          PB_RETURN_IF_ERROR(parse(*body, p, out, "", depth + 1));
          break;
        }
        default:
          out.push_back(make_node(Node::Kind::kEscaped, {}, split_path(tag)));
      }
    }
    if (!close.empty())
      return Error::invalid_input(fmt::format("{}: section '{}' is not closed", name, close));
    return Status();
  }
};

const Json* lookup(const std::vector<const Json*>& stack, const std::vector<std::string>& path) {
  if (path.empty()) return stack.back();
  const Json* found = nullptr;
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if ((*it)->is_object()) {
      auto f = (*it)->find(path[0]);
      if (f != (*it)->end()) {
        found = &*f;
        break;
      }
    }
  }
  for (size_t i = 1; found && i < path.size(); ++i) {
    if (!found->is_object()) return nullptr;
    auto f = found->find(path[i]);
    found = f == found->end() ? nullptr : &*f;
  }
  return found;
}

bool truthy(const Json* v) {
  if (!v || v->is_null()) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_array()) return !v->empty();
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  return true;
}

void append_value(const Json* v, bool escape, std::string& out) {
  if (!v) return;
  switch (v->type()) {
    case Json::value_t::string:
      if (escape) {
        append_escaped(out, v->get_ref<const std::string&>());
      } else {
        out += v->get_ref<const std::string&>();
      }
      return;
    case Json::value_t::number_integer:
      fmt::format_to(std::back_inserter(out), "{}", v->get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      fmt::format_to(std::back_inserter(out), "{}", v->get<std::uint64_t>());
      return;
    case Json::value_t::number_float:
      fmt::format_to(std::back_inserter(out), "{:.4g}", v->get<double>());
      return;
    case Json::value_t::boolean:
      if (v->get<bool>()) out += "true";
      return;
    default:
      return;
  }
}

void render_nodes(const std::vector<Node>& nodes, std::vector<const Json*>& stack,
                  std::string& out) {
  for (const Node& n : nodes) {
    switch (n.kind) {
      case Node::Kind::kText:
        out += n.text;
        break;
      case Node::Kind::kEscaped:
      case Node::Kind::kRaw:
        append_value(lookup(stack, n.path), n.kind == Node::Kind::kEscaped, out);
        break;
      case Node::Kind::kSection: {
        const Json* v = lookup(stack, n.path);
        if (!truthy(v)) break;
        if (v->is_array()) {
          for (const Json& e : *v) {
            stack.push_back(&e);
            render_nodes(n.children, stack, out);
            stack.pop_back();
          }
        } else {
          stack.push_back(v);
          render_nodes(n.children, stack, out);
          stack.pop_back();
        }
        break;
      }
      case Node::Kind::kInverted:
        if (!truthy(lookup(stack, n.path))) render_nodes(n.children, stack, out);
        break;
    }
  }
}

}  // namespace

Result<Template> Template::compile(std::string_view name, std::string_view text,
                                   const PartialLoader& partials) {
  Template t;
  Compiler c{name, partials};
  size_t pos = 0;
  PB_RETURN_IF_ERROR(c.parse(text, pos, t.nodes_, "", 0));
  return t;
}

void Template::render(const nlohmann::json& data, std::string& out) const {
  std::vector<const Json*> stack{&data};
  render_nodes(nodes_, stack, out);
}

std::string Template::render(const nlohmann::json& data) const {
  std::string out;
  render(data, out);
  return out;
}

}  // namespace pb::server
