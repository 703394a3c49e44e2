#include "ingest/atom.hpp"

#include <fmt/format.h>

#include "core/arxiv_id.hpp"
#include "core/dates.hpp"
#include "core/utf8.hpp"
#include "ingest/xml_util.hpp"

namespace pb::ingest {
namespace {

std::string normalise_date(std::string_view text) {
  auto d = dates::normalise(text);
  return d ? *d : std::string();
}

Record map_entry(const pugi::xml_node& entry, std::string where) {
  Record out;
  out.where = std::move(where);
  xml::TextReader tr;
  auto fail = [&](std::string reason) {
    out.paper = Error::invalid_input(std::move(reason));
    out.repaired_utf8 = tr.repaired();
    return out;
  };

  const std::string id_text = tr.field(entry, "id");
  // The API reports a bad query as a feed holding one entry with an error id.
  if (id_text.find("/api/errors") != std::string::npos) {
    std::string message = tr.field(entry, "summary");
    if (message.empty()) message = tr.field(entry, "title");
    return fail(fmt::format("arXiv API error: {}", utf8::truncate(message, 300)));
  }
  if (id_text.empty()) return fail("missing arXiv id");
  auto id = ArxivId::parse(id_text);
  if (!id) return fail(fmt::format("bad arXiv id '{}'", utf8::truncate(id_text, 80)));

  Paper p;
  p.id = id->id;
  p.version = id->version;
  p.title = tr.field(entry, "title");
  if (p.title.empty()) return fail(fmt::format("missing title ({})", p.id));
  p.abstract = tr.field(entry, "summary");
  for (const auto& a : xml::children(entry, "author")) {
    std::string name = tr.field(a, "name");
    if (!name.empty()) p.authors.push_back(std::move(name));
  }
  const std::string published = normalise_date(tr.field(entry, "published"));
  const std::string updated = normalise_date(tr.field(entry, "updated"));
  // <published> is when v1 appeared; <updated> is when the version named by the id appeared.
  p.submitted = published;
  p.updated = updated.empty() ? published : updated;
  if (p.version == 1) {
    p.versions.push_back({1, published.empty() ? updated : published});
  } else if (p.version > 1) {
    p.versions.push_back({p.version, updated});
  }
  p.primary_category = tr.attr(xml::child(entry, "primary_category"), "term");
  if (!p.primary_category.empty()) p.categories.push_back(p.primary_category);
  for (const auto& c : xml::children(entry, "category")) {
    std::string term = tr.attr(c, "term");
    if (!term.empty()) p.categories.push_back(std::move(term));
  }
  p.comments = tr.field(entry, "comment");
  p.journal_ref = tr.field(entry, "journal_ref");
  p.doi = tr.field(entry, "doi");
  if (auto space = p.doi.find(' '); space != std::string::npos) p.doi.resize(space);
  canonicalise(p);
  out.paper = std::move(p);
  out.repaired_utf8 = tr.repaired();
  return out;
}

}  // namespace

Result<std::vector<Record>> parse_atom_feed(std::string_view body, std::string_view where) {
  auto prefixed = [&](std::string_view message) {
    return where.empty() ? std::string(message) : fmt::format("{}: {}", where, message);
  };
  pugi::xml_document doc;
  if (Status st = xml::parse_fragment(body, doc); !st.ok())
    return Error::invalid_input(prefixed(st.error().message()));
  const pugi::xml_node root = doc.document_element();
  if (!xml::is(root, "feed"))
    return Error::invalid_input(prefixed(fmt::format("not an Atom feed (root element <{}>)",
                                                     utf8::truncate(root ? root.name() : "", 40))));
  std::vector<Record> records;
  size_t n = 0;
  for (const auto& entry : xml::children(root, "entry")) {
    ++n;
    records.push_back(map_entry(entry, where.empty() ? fmt::format("record {}", n)
                                                     : fmt::format("{} record {}", where, n)));
  }
  return records;
}

std::unique_ptr<RecordReader> make_atom_reader(std::unique_ptr<InputStream> in,
                                               const XmlReaderOptions& options) {
  return std::make_unique<xml::XmlRecordReader>(std::move(in), Format::kAtom, "entry",
                                                options.max_record_bytes, options.buffer_size,
                                                &map_entry);
}

std::unique_ptr<RecordReader> make_atom_reader(std::unique_ptr<InputStream> in) {
  return make_atom_reader(std::move(in), XmlReaderOptions{});
}

}  // namespace pb::ingest
