#pragma once
// OAI-PMH responses from arXiv (https://www.openarchives.org/OAI/openarchivesprotocol.html):
// ListRecords and GetRecord pages with metadataPrefix "arXiv" or "arXivRaw" (and minimally
// "oai_dc"), either fetched by the harvester (parse_oai_page) or read from saved files
// (make_oai_reader in reader.hpp, streaming).
//
// Mapping to Paper: the id comes from <id> (else the header identifier); arXivRaw's
// <version> list gives versions, submitted (v1) and updated (latest) dates; arXiv's
// <created>/<updated> give the dates otherwise. Categories are split on whitespace, the first
// being primary. Titles and abstracts keep their TeX with whitespace runs collapsed.
// A record without a valid id or title is an error Record; a deleted record is `ignored`.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ingest/reader.hpp"

namespace pb::ingest {

// One parsed OAI-PMH response page.
struct OaiPage {
  std::vector<Record> records;  // where = "<where> record N", N from 1
  // Token to request the next page; empty when the list is complete.
  std::string resumption_token;
  std::optional<std::int64_t> complete_list_size;
  // OAI-PMH error, e.g. "badResumptionToken"; "noRecordsMatch" comes with zero records and
  // is not a failure. Empty when the response carries no error.
  std::string error_code;
  std::string error_message;
  // The latest header <datestamp> on this page ("YYYY-MM-DD", "" when none); the harvester
  // records it as the day up to which a completed harvest reached.
  std::string latest_datestamp;
};

// Parses one response. `where` prefixes record positions ("page 3" -> "page 3 record 7").
// A body that is not well-formed XML or not an OAI-PMH ListRecords/GetRecord response (or an
// error response) is an error Result with kInvalidInput.
Result<OaiPage> parse_oai_page(std::string_view body, std::string_view where);

// Limits of the streaming XML readers (OAI-PMH and Atom files).
struct XmlReaderOptions {
  size_t max_record_bytes = 64u << 20;  // larger records are skipped as errors
  size_t buffer_size = 1u << 20;        // read() size; tests shrink it to split markup
};

// make_oai_reader (reader.hpp) with explicit limits.
std::unique_ptr<RecordReader> make_oai_reader(std::unique_ptr<InputStream> in,
                                              const XmlReaderOptions& options);

}  // namespace pb::ingest
