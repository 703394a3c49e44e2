#include "ingest/oai_pmh.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/arxiv_id.hpp"
#include "core/dates.hpp"
#include "core/utf8.hpp"
#include "ingest/xml_util.hpp"

namespace pb::ingest {
namespace {

using xml::TextReader;

std::string normalise_date(std::string_view text) {
  auto d = dates::normalise(text);
  return d ? *d : std::string();
}

// The first DOI of the field: arXiv lets authors list several, separated by spaces.
std::string first_token(std::string_view s) {
  auto tokens = xml::split_whitespace(s);
  return tokens.empty() ? std::string() : tokens.front();
}

void set_categories(Paper& p, std::string_view text) {
  p.categories = xml::split_whitespace(text);
  if (!p.categories.empty()) p.primary_category = p.categories.front();
}

// Validates the fields every record needs and fills the id. `id_text` is quoted in the error
// so that the operator can find the record.
Result<Paper> finish(Paper p, const std::string& id_text) {
  if (id_text.empty()) return Error::invalid_input("missing arXiv id");
  auto id = ArxivId::parse(id_text);
  if (!id)
    return Error::invalid_input(fmt::format("bad arXiv id '{}'", utf8::truncate(id_text, 80)));
  p.id = id->id;
  if (p.version == 0) p.version = id->version;
  if (p.title.empty()) return Error::invalid_input(fmt::format("missing title ({})", p.id));
  canonicalise(p);
  return p;
}

// metadataPrefix=arXiv: structured authors, <created>/<updated> but no version list.
Result<Paper> map_arxiv(const pugi::xml_node& md, const std::string& header_id, TextReader& tr) {
  Paper p;
  std::string id_text = tr.field(md, "id");
  if (id_text.empty()) id_text = header_id;
  p.title = tr.field(md, "title");
  p.abstract = tr.field(md, "abstract");
  for (const auto& a : xml::children(xml::child(md, "authors"), "author")) {
    std::string name;
    for (std::string_view part : {"forenames", "keyname", "suffix"}) {
      std::string s = tr.field(a, part);
      if (s.empty()) continue;
      if (!name.empty()) name += ' ';
      name += s;
    }
    if (!name.empty()) p.authors.push_back(std::move(name));
  }
  set_categories(p, tr.raw(xml::child(md, "categories")));
  const std::string created = normalise_date(tr.field(md, "created"));
  const std::string updated = normalise_date(tr.field(md, "updated"));
  p.submitted = created;
  // No <updated> means the paper has one version, so the latest version is the first.
  p.updated = updated.empty() ? created : updated;
  // <created> is the v1 date; later version numbers are not in this format.
  if (!created.empty()) p.versions.push_back({1, created});
  p.comments = tr.field(md, "comments");
  p.journal_ref = tr.field(md, "journal-ref");
  p.doi = first_token(tr.field(md, "doi"));
  return finish(std::move(p), id_text);
}

// metadataPrefix=arXivRaw: the full version history, authors as one free-form string.
Result<Paper> map_arxiv_raw(const pugi::xml_node& md, const std::string& header_id,
                            TextReader& tr) {
  Paper p;
  std::string id_text = tr.field(md, "id");
  if (id_text.empty()) id_text = header_id;
  p.title = tr.field(md, "title");
  p.abstract = tr.field(md, "abstract");
  p.submitter = tr.field(md, "submitter");
  p.authors = xml::split_authors(tr.raw(xml::child(md, "authors")));
  set_categories(p, tr.raw(xml::child(md, "categories")));
  for (const auto& v : xml::children(md, "version")) {
    std::string label = tr.attr(v, "version");  // "v2"
    std::string_view digits = label;
    if (!digits.empty() && (digits.front() == 'v' || digits.front() == 'V'))
      digits.remove_prefix(1);
    int n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || n <= 0) continue;
    p.versions.push_back({n, normalise_date(tr.field(v, "date"))});
  }
  std::sort(p.versions.begin(), p.versions.end(),
            [](const PaperVersion& a, const PaperVersion& b) { return a.version < b.version; });
  if (!p.versions.empty()) {
    p.version = p.versions.back().version;
    p.submitted = p.versions.front().created;
    p.updated = p.versions.back().created;
  }
  p.comments = tr.field(md, "comments");
  p.journal_ref = tr.field(md, "journal-ref");
  p.doi = first_token(tr.field(md, "doi"));
  return finish(std::move(p), id_text);
}

// metadataPrefix=oai_dc, tolerated minimally: Dublin Core has no categories or versions.
Result<Paper> map_dc(const pugi::xml_node& md, const std::string& header_id, TextReader& tr) {
  Paper p;
  p.title = tr.field(md, "title");
  for (const auto& c : xml::children(md, "creator")) {
    // Dublin Core writes "Keyname, Forenames"; turn it round to match the other formats.
    std::string name = tr.text(c);
    if (auto comma = name.find(", ");
        comma != std::string::npos && name.find(',', comma + 1) == std::string::npos)
      name = name.substr(comma + 2) + " " + name.substr(0, comma);
    if (!name.empty()) p.authors.push_back(std::move(name));
  }
  for (const auto& d : xml::children(md, "description")) {
    std::string text = tr.text(d);
    if (text.rfind("Comment:", 0) == 0) {
      if (p.comments.empty()) p.comments = xml::collapse_whitespace(text.substr(8));
    } else if (p.abstract.empty()) {
      p.abstract = std::move(text);
    }
  }
  for (const auto& d : xml::children(md, "date")) {
    std::string date = normalise_date(tr.text(d));
    if (date.empty()) continue;
    if (p.submitted.empty()) p.submitted = date;
    p.updated = date;
  }
  std::string id_text;
  for (const auto& i : xml::children(md, "identifier")) {
    std::string text = tr.text(i);
    if (ArxivId::parse(text)) {
      id_text = std::move(text);
      break;
    }
  }
  if (id_text.empty()) id_text = header_id;
  return finish(std::move(p), id_text);
}

// Maps one <record>; `datestamp` receives the header's day ("" when absent).
Record map_record(const pugi::xml_node& rec, std::string where, std::string* datestamp) {
  Record out;
  out.where = std::move(where);
  TextReader tr;
  const pugi::xml_node header = xml::child(rec, "header");
  const std::string header_id = tr.field(header, "identifier");
  if (datestamp != nullptr)
    *datestamp = dates::day_of(normalise_date(tr.field(header, "datestamp")));

  if (tr.attr(header, "status") == "deleted") {
    // Deleted records carry no metadata; keep the id when there is one, for the curious.
    out.ignored = true;
    if (auto id = ArxivId::parse(header_id)) {
      Paper p;
      p.id = id->id;
      out.paper = std::move(p);
    } else {
      out.paper = Error::invalid_input("deleted record");
    }
    out.repaired_utf8 = tr.repaired();
    return out;
  }

  const pugi::xml_node md = xml::first_element(xml::child(rec, "metadata"));
  if (!md) {
    out.paper =
        Error::invalid_input(header_id.empty() ? std::string("record without metadata")
                                               : fmt::format("record without metadata ({})",
                                                             utf8::truncate(header_id, 80)));
  } else {
    const std::string_view format = xml::local_name(md.name());
    if (format == "arXiv")
      out.paper = map_arxiv(md, header_id, tr);
    else if (format == "arXivRaw")
      out.paper = map_arxiv_raw(md, header_id, tr);
    else if (format == "dc")
      out.paper = map_dc(md, header_id, tr);
    else
      out.paper = Error::invalid_input(
          fmt::format("unsupported metadata format <{}>", utf8::truncate(md.name(), 40)));
  }
  out.repaired_utf8 = tr.repaired();
  return out;
}

std::string record_where(std::string_view where, size_t n) {
  return where.empty() ? fmt::format("record {}", n) : fmt::format("{} record {}", where, n);
}

std::string prefixed(std::string_view where, std::string_view message) {
  return where.empty() ? std::string(message) : fmt::format("{}: {}", where, message);
}

}  // namespace

Result<OaiPage> parse_oai_page(std::string_view body, std::string_view where) {
  pugi::xml_document doc;
  if (Status st = xml::parse_fragment(body, doc); !st.ok())
    return Error::invalid_input(prefixed(where, st.error().message()));
  const pugi::xml_node root = doc.document_element();
  if (!xml::is(root, "OAI-PMH"))
    return Error::invalid_input(
        prefixed(where, fmt::format("not an OAI-PMH response (root element <{}>)",
                                    utf8::truncate(root ? root.name() : "", 40))));

  OaiPage page;
  if (const pugi::xml_node err = xml::child(root, "error")) {
    TextReader tr;
    page.error_code = tr.attr(err, "code");
    page.error_message = tr.text(err);
    if (page.error_code.empty()) page.error_code = "unknown";
    return page;
  }

  pugi::xml_node list = xml::child(root, "ListRecords");
  if (!list) list = xml::child(root, "GetRecord");
  if (!list)
    return Error::invalid_input(
        prefixed(where, "OAI-PMH response without ListRecords, GetRecord or error"));

  size_t n = 0;
  for (const auto& rec : xml::children(list, "record")) {
    std::string datestamp;
    page.records.push_back(map_record(rec, record_where(where, ++n), &datestamp));
    if (datestamp > page.latest_datestamp) page.latest_datestamp = std::move(datestamp);
  }
  if (const pugi::xml_node token = xml::child(list, "resumptionToken")) {
    TextReader tr;
    page.resumption_token = tr.text(token);
    const std::string size = tr.attr(token, "completeListSize");
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), v);
    if (!size.empty() && ec == std::errc() && end == size.data() + size.size() && v >= 0)
      page.complete_list_size = v;
  }
  return page;
}

std::unique_ptr<RecordReader> make_oai_reader(std::unique_ptr<InputStream> in,
                                              const XmlReaderOptions& options) {
  return std::make_unique<xml::XmlRecordReader>(std::move(in), Format::kOaiPmh, "record",
                                                options.max_record_bytes, options.buffer_size,
                                                [](const pugi::xml_node& rec, std::string where) {
                                                  return map_record(rec, std::move(where), nullptr);
                                                });
}

std::unique_ptr<RecordReader> make_oai_reader(std::unique_ptr<InputStream> in) {
  return make_oai_reader(std::move(in), XmlReaderOptions{});
}

}  // namespace pb::ingest
