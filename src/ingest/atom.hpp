#pragma once
// arXiv API Atom feeds (https://info.arxiv.org/help/api/user-manual.html), fetched pages or
// saved files (make_atom_reader in reader.hpp, streaming over <entry> elements).
//
// Mapping to Paper: the version comes from the entry id ("http://arxiv.org/abs/2401.01234v2");
// <published> is the v1 date (submitted), <updated> the date of that version. Authors are the
// <author><name> values, categories the <category term> values with arxiv:primary_category
// first. An API error entry (id under http://arxiv.org/api/errors) is an error Record whose
// reason is the error message.

#include <memory>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ingest/oai_pmh.hpp"  // XmlReaderOptions
#include "ingest/reader.hpp"

namespace pb::ingest {

// Parses a whole feed; records are named "<where> record N". A body that is not well-formed
// XML or has no <feed> root is an error Result (kInvalidInput).
Result<std::vector<Record>> parse_atom_feed(std::string_view body, std::string_view where);

// make_atom_reader (reader.hpp) with explicit limits.
std::unique_ptr<RecordReader> make_atom_reader(std::unique_ptr<InputStream> in,
                                               const XmlReaderOptions& options);

}  // namespace pb::ingest
