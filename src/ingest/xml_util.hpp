#pragma once
// XML helpers shared by the OAI-PMH and Atom readers. Internal to the ingest module: this
// header exposes pugixml types, so only ingest .cpp files include it (tests use the format
// headers oai_pmh.hpp / atom.hpp instead).
//
// Namespaces: arXiv's responses bind the same elements to different prefixes depending on
// who wrote the file (<record> vs <oai:record>, <arxiv:doi>). pugixml does no namespace
// processing, so we match on local names and ignore prefixes altogether.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "core/result.hpp"
#include "ingest/fields.hpp"
#include "ingest/input.hpp"
#include "ingest/reader.hpp"

namespace pb::ingest::xml {

using ingest::collapse_whitespace;
using ingest::split_authors;
using ingest::split_whitespace;

// "oai:record" -> "record"; "record" -> "record".
std::string_view local_name(std::string_view qualified);
// True when `node` is an element whose local name is `name`.
bool is(const pugi::xml_node& node, std::string_view name);
// First child element with local name `name` (null node when absent).
pugi::xml_node child(const pugi::xml_node& node, std::string_view name);
// All child elements with local name `name`, in document order.
std::vector<pugi::xml_node> children(const pugi::xml_node& node, std::string_view name);
// First element child, whatever its name (null node when none).
pugi::xml_node first_element(const pugi::xml_node& node);
// Attribute by local name ("version" matches "version" and "x:version").
pugi::xml_attribute attribute(const pugi::xml_node& node, std::string_view name);

// Collects the text of XML fields of one record. Text is the concatenation of all character
// data below the node (so a stray inline element does not lose words). Invalid UTF-8 is
// repaired with U+FFFD and remembered, so the record can report `repaired_utf8`.
class TextReader {
 public:
  // Raw concatenated text, UTF-8 repaired, not trimmed.
  std::string raw(const pugi::xml_node& node);
  // Text with whitespace collapsed (see collapse_whitespace).
  std::string text(const pugi::xml_node& node);
  // text(child(parent, name)).
  std::string field(const pugi::xml_node& parent, std::string_view name) {
    return text(child(parent, name));
  }
  std::string attr(const pugi::xml_node& node, std::string_view name);
  bool repaired() const { return repaired_; }

 private:
  std::string checked(std::string s);
  bool repaired_ = false;
};

// Parses `chunk` (one element and its content) with pugixml. Errors name the offset.
Status parse_fragment(std::string_view chunk, pugi::xml_document& doc);

// One top-level element cut out of a byte stream by ElementChunker.
struct Chunk {
  std::string xml;          // the element's bytes, "<record ...>...</record>" (empty if too_large)
  std::uint64_t index = 0;  // 1-based count of matching elements seen so far
  bool too_large = false;   // exceeded the size limit; its bytes were skipped
  bool truncated = false;   // the input ended inside the element
};

// Cuts elements with a given local name (e.g. "record", "entry") out of an XML byte stream
// without building a tree of the whole document, so memory stays flat for multi-gigabyte
// files: one read buffer plus the element being collected.
//
// It is a small tokenizer, not a validating parser: it understands start/end/empty tags
// (with quoted attribute values that may contain '>'), comments, CDATA sections, processing
// instructions and <!DOCTYPE ...>, which is enough to find element boundaries reliably in
// well-formed input and to degrade gracefully (one bad chunk) in malformed input. Markup may
// be split anywhere across read() buffers. Elements larger than `max_bytes` are skipped and
// reported as too_large.
//
// The elements we cut out ("record" in OAI-PMH, "entry" in Atom) never nest, so a start tag
// of the target name inside an open element means the open one was never closed (a damaged
// file): it is emitted as truncated and a new element begins. One broken record therefore
// costs that record only, not the rest of the file.
//
// Thread safety: none; one chunker per stream. The InputStream is borrowed.
class ElementChunker {
 public:
  ElementChunker(InputStream& in, std::string local_name, size_t max_bytes = 64u << 20,
                 size_t buffer_size = 1u << 20);
  // Fills `out` with the next element; false at end of input. Errors are input failures.
  Result<bool> next(Chunk& out);

 private:
  enum class State {
    kText,      // character data
    kLt,        // just after '<'
    kName,      // reading an element name (after '<' or '</')
    kTag,       // inside a tag after its name
    kTagQuote,  // inside a quoted attribute value
    kBang,      // after "<!", deciding between comment, CDATA and declaration
    kComment,   // inside <!-- ... -->
    kCData,     // inside <![CDATA[ ... ]]>
    kPi,        // inside <? ... ?>
    kDecl,      // inside <!DOCTYPE ...> (with [...] internal subset)
  };
  // Processes buf_[pos_, len_) until an element completes (returns true) or the buffer ends.
  bool scan();
  void name_ended();
  void tag_ended();
  void start_decl();
  void decl_char(char c);
  void append_element_bytes(size_t end);
  void finish_element(bool truncated);

  InputStream& in_;
  std::string target_;
  size_t max_bytes_;
  std::vector<char> buf_;
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;

  State state_ = State::kText;
  std::string name_;        // element name being read (capped)
  bool end_tag_ = false;    // the current tag is "</...>"
  bool saw_slash_ = false;  // last non-space character in the tag was '/'
  char quote_ = 0;
  std::string bang_;    // characters after "<!" while classifying
  int tail_ = 0;        // matched characters of the terminator ("-->", "]]>", "?>")
  int decl_depth_ = 0;  // '[' nesting inside <!DOCTYPE>

  bool tag_matches_ = false;  // the current tag's local name is target_
  bool in_element_ = false;
  size_t element_from_ = 0;  // start in buf_ of element bytes not yet copied to chunk_
  Chunk chunk_;              // element being collected
  Chunk done_;               // completed element waiting to be returned
  bool ready_ = false;       // done_ is valid
  std::uint64_t count_ = 0;
};

// Turns one chunk into a Record: too-large, truncated and malformed chunks become error
// Records at `where`; a well-formed one is passed to `map` with its root element.
Record chunk_to_record(const Chunk& chunk, std::string where, std::string_view element,
                       size_t max_bytes,
                       const std::function<Record(const pugi::xml_node&, std::string)>& map);

// A RecordReader over a file of XML elements (OAI-PMH <record>s, Atom <entry>s), naming
// records "<path>:record N". Owns the stream. Thread safety: none.
class XmlRecordReader : public RecordReader {
 public:
  using MapFn = std::function<Record(const pugi::xml_node&, std::string)>;
  XmlRecordReader(std::unique_ptr<InputStream> in, Format format, std::string element,
                  size_t max_bytes, size_t buffer_size, MapFn map);
  Result<bool> next(Record& out) override;
  Format format() const override { return format_; }
  const InputStream& input() const override { return *in_; }

 private:
  std::unique_ptr<InputStream> in_;
  Format format_;
  std::string element_;
  size_t max_bytes_;
  ElementChunker chunker_;
  MapFn map_;
};

}  // namespace pb::ingest::xml
