#include "ingest/xml_util.hpp"

#include <fmt/format.h>

#include <cstring>

#include "core/utf8.hpp"

namespace pb::ingest::xml {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Element names longer than this cannot be one we look for; capping keeps a hostile file
// from growing the name buffer without bound.
constexpr size_t kMaxName = 256;

void append_text(const pugi::xml_node& node, std::string& out) {
  for (pugi::xml_node n = node.first_child(); n; n = n.next_sibling()) {
    switch (n.type()) {
      case pugi::node_pcdata:
      case pugi::node_cdata:
        out += n.value();
        break;
      case pugi::node_element:
        append_text(n, out);
        break;
      default:
        break;
    }
  }
}

}  // namespace

std::string_view local_name(std::string_view qualified) {
  auto colon = qualified.rfind(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

bool is(const pugi::xml_node& node, std::string_view name) {
  return node.type() == pugi::node_element && local_name(node.name()) == name;
}

pugi::xml_node child(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_node n = node.first_child(); n; n = n.next_sibling())
    if (is(n, name)) return n;
  return {};
}

std::vector<pugi::xml_node> children(const pugi::xml_node& node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node n = node.first_child(); n; n = n.next_sibling())
    if (is(n, name)) out.push_back(n);
  return out;
}

pugi::xml_node first_element(const pugi::xml_node& node) {
  for (pugi::xml_node n = node.first_child(); n; n = n.next_sibling())
    if (n.type() == pugi::node_element) return n;
  return {};
}

pugi::xml_attribute attribute(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute())
    if (local_name(a.name()) == name) return a;
  return {};
}

std::string TextReader::checked(std::string s) {
  if (utf8::valid(s)) return s;
  repaired_ = true;
  return utf8::repair(s);
}

std::string TextReader::raw(const pugi::xml_node& node) {
  if (!node) return {};
  std::string out;
  append_text(node, out);
  return checked(std::move(out));
}

std::string TextReader::text(const pugi::xml_node& node) { return collapse_whitespace(raw(node)); }

std::string TextReader::attr(const pugi::xml_node& node, std::string_view name) {
  pugi::xml_attribute a = attribute(node, name);
  return a ? collapse_whitespace(checked(a.value())) : std::string();
}

Status parse_fragment(std::string_view chunk, pugi::xml_document& doc) {
  // Forcing UTF-8 stops pugixml from guessing UTF-16 from stray leading bytes; it copies bytes
  // through unchanged, so invalid sequences reach TextReader, which repairs them.
  pugi::xml_parse_result r =
      doc.load_buffer(chunk.data(), chunk.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r)
    return Error::invalid_input(
        fmt::format("not well-formed XML: {} at byte {}", r.description(), r.offset));
  return ok_status();
}

// ---------------------------------------------------------------------------------------------
// ElementChunker

ElementChunker::ElementChunker(InputStream& in, std::string local_name, size_t max_bytes,
                               size_t buffer_size)
    : in_(in), target_(std::move(local_name)), max_bytes_(max_bytes), buf_(buffer_size) {}

Result<bool> ElementChunker::next(Chunk& out) {
  for (;;) {
    if (ready_) {
      out = std::move(done_);
      done_ = Chunk{};
      ready_ = false;
      return true;
    }
    if (pos_ < len_) {
      scan();
      continue;
    }
    if (eof_) {
      if (!in_element_) return false;
      finish_element(/*truncated=*/true);
      continue;
    }
    PB_ASSIGN_OR_RETURN(size_t n, in_.read(buf_.data(), buf_.size()));
    pos_ = 0;
    len_ = n;
    element_from_ = 0;
    if (n == 0) eof_ = true;
  }
}

void ElementChunker::append_element_bytes(size_t end) {
  if (end <= element_from_) return;
  const size_t n = end - element_from_;
  if (!chunk_.too_large) {
    if (chunk_.xml.size() + n > max_bytes_) {
      // Keep scanning for the end tag but stop holding the bytes: memory stays bounded.
      chunk_.too_large = true;
      std::string().swap(chunk_.xml);
    } else {
      chunk_.xml.append(buf_.data() + element_from_, n);
    }
  }
  element_from_ = end;
}

void ElementChunker::finish_element(bool truncated) {
  append_element_bytes(pos_);
  chunk_.truncated = truncated;
  done_ = std::move(chunk_);
  chunk_ = Chunk{};
  ready_ = true;
  in_element_ = false;
}

void ElementChunker::name_ended() {
  tag_matches_ = local_name(name_) == target_;
  if (!tag_matches_ || end_tag_) return;
  if (in_element_) {
    // A new start tag before the open element closed: the open one is damaged (see class
    // comment). Its bytes up to here, including this partial tag, make it fail to parse.
    finish_element(/*truncated=*/true);
  }
  in_element_ = true;
  chunk_ = Chunk{};
  chunk_.index = ++count_;
  chunk_.xml = "<" + name_;
  element_from_ = pos_;
}

void ElementChunker::tag_ended() {
  // pos_ is just past the '>'.
  if (!in_element_ || !tag_matches_) return;
  if (end_tag_ || saw_slash_) finish_element(/*truncated=*/false);
}

void ElementChunker::start_decl() {
  state_ = State::kDecl;
  decl_depth_ = 0;
  const std::string seen = std::move(bang_);
  bang_.clear();
  for (char c : seen) decl_char(c);
}

void ElementChunker::decl_char(char c) {
  if (state_ != State::kDecl) return;
  if (c == '[') {
    ++decl_depth_;
  } else if (c == ']') {
    if (decl_depth_ > 0) --decl_depth_;
  } else if (c == '>' && decl_depth_ == 0) {
    state_ = State::kText;
  }
}

bool ElementChunker::scan() {
  static constexpr std::string_view kComment = "--";
  static constexpr std::string_view kCData = "[CDATA[";
  while (pos_ < len_) {
    // An element completed (possibly implicitly, see name_ended): hand it out before a
    // following tag could complete another.
    if (ready_) return true;
    const char c = buf_[pos_];
    switch (state_) {
      case State::kText: {
        const void* lt = std::memchr(buf_.data() + pos_, '<', len_ - pos_);
        if (lt == nullptr) {
          pos_ = len_;
          break;
        }
        pos_ = static_cast<size_t>(static_cast<const char*>(lt) - buf_.data()) + 1;
        state_ = State::kLt;
        break;
      }
      case State::kLt:
        saw_slash_ = false;
        end_tag_ = false;
        name_.clear();
        if (c == '/') {
          end_tag_ = true;
          state_ = State::kName;
          ++pos_;
        } else if (c == '!') {
          bang_.clear();
          state_ = State::kBang;
          ++pos_;
        } else if (c == '?') {
          tail_ = 0;
          state_ = State::kPi;
          ++pos_;
        } else if (is_space(c) || c == '>' || c == '<' || c == '=') {
          state_ = State::kText;  // a stray '<' in text (malformed); re-examine this byte
        } else {
          state_ = State::kName;
        }
        break;
      case State::kName:
        if (is_space(c) || c == '>' || c == '/' || c == '<') {
          name_ended();
          state_ = State::kTag;  // the tag state consumes this byte
        } else {
          if (name_.size() <= kMaxName) name_ += c;
          ++pos_;
        }
        break;
      case State::kTag:
        if (c == '>') {
          ++pos_;
          state_ = State::kText;
          tag_ended();
        } else if (c == '"' || c == '\'') {
          quote_ = c;
          saw_slash_ = false;
          state_ = State::kTagQuote;
          ++pos_;
        } else if (c == '<') {
          state_ = State::kText;  // unterminated tag (malformed); restart at this '<'
        } else {
          if (c == '/')
            saw_slash_ = true;
          else if (!is_space(c))
            saw_slash_ = false;
          ++pos_;
        }
        break;
      case State::kTagQuote: {
        const void* q = std::memchr(buf_.data() + pos_, quote_, len_ - pos_);
        if (q == nullptr) {
          pos_ = len_;
          break;
        }
        pos_ = static_cast<size_t>(static_cast<const char*>(q) - buf_.data()) + 1;
        state_ = State::kTag;
        break;
      }
      case State::kBang:
        bang_ += c;
        ++pos_;
        if (bang_ == kComment) {
          tail_ = 0;
          state_ = State::kComment;
        } else if (bang_ == kCData) {
          tail_ = 0;
          state_ = State::kCData;
        } else if (!kComment.starts_with(bang_) && !kCData.starts_with(bang_)) {
          start_decl();
        }
        break;
      case State::kComment:
        if (c == '-') {
          tail_ = tail_ < 2 ? tail_ + 1 : 2;
        } else {
          if (c == '>' && tail_ == 2) state_ = State::kText;
          tail_ = 0;
        }
        ++pos_;
        break;
      case State::kCData:
        if (c == ']') {
          tail_ = tail_ < 2 ? tail_ + 1 : 2;
        } else {
          if (c == '>' && tail_ == 2) state_ = State::kText;
          tail_ = 0;
        }
        ++pos_;
        break;
      case State::kPi:
        if (c == '>' && tail_ == 1) state_ = State::kText;
        tail_ = c == '?' ? 1 : 0;
        ++pos_;
        break;
      case State::kDecl:
        decl_char(c);
        ++pos_;
        break;
    }
  }
  // Copy the open element's bytes before the buffer is refilled.
  if (in_element_) append_element_bytes(len_);
  return ready_;
}

}  // namespace pb::ingest::xml

namespace pb::ingest::xml {
namespace {

std::string describe_size(size_t bytes) {
  if (bytes % (1u << 20) == 0) return fmt::format("{} MB", bytes >> 20);
  return fmt::format("{} bytes", bytes);
}

}  // namespace

Record chunk_to_record(const Chunk& chunk, std::string where, std::string_view element,
                       size_t max_bytes,
                       const std::function<Record(const pugi::xml_node&, std::string)>& map) {
  auto fail = [&](std::string reason) {
    Record r;
    r.where = std::move(where);
    r.paper = Error::invalid_input(std::move(reason));
    return r;
  };
  if (chunk.too_large)
    return fail(fmt::format("<{}> larger than {}, skipped", element, describe_size(max_bytes)));
  if (chunk.truncated)
    return fail(fmt::format("unterminated <{}> (input truncated or damaged)", element));
  pugi::xml_document doc;
  if (Status st = parse_fragment(chunk.xml, doc); !st.ok()) return fail(st.error().message());
  return map(doc.document_element(), std::move(where));
}

XmlRecordReader::XmlRecordReader(std::unique_ptr<InputStream> in, Format format,
                                 std::string element, size_t max_bytes, size_t buffer_size,
                                 MapFn map)
    : in_(std::move(in)),
      format_(format),
      element_(element),
      max_bytes_(max_bytes),
      chunker_(*in_, std::move(element), max_bytes, buffer_size),
      map_(std::move(map)) {}

Result<bool> XmlRecordReader::next(Record& out) {
  Chunk chunk;
  PB_ASSIGN_OR_RETURN(bool got, chunker_.next(chunk));
  if (!got) return false;
  out = chunk_to_record(chunk, fmt::format("{}:record {}", in_->path(), chunk.index), element_,
                        max_bytes_, map_);
  return true;
}

}  // namespace pb::ingest::xml
