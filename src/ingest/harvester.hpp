#pragma once
// OAI-PMH harvester for arXiv (https://info.arxiv.org/help/oa/index.html).
//
// Politeness (arXiv's robots policy): one request at a time, at least `delay` between the
// starts of consecutive requests, Retry-After honoured on 503, exponential backoff on other
// failures. Progress is durable: each page's papers and the new resumption token are
// committed in one store transaction, so an interrupted harvest resumes at the first page
// that was not committed when run again with the same endpoint, set, prefix, from and until.
//
// Thread safety: harvest() uses the store and the client from the calling thread only.

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "ingest/http_client.hpp"
#include "ingest/ingester.hpp"
#include "store/store.hpp"

namespace pb::ingest {

struct HarvestProgress {
  std::int64_t pages = 0;    // pages committed in this harvest (including resumed ones)
  std::int64_t records = 0;  // records on those pages
  std::optional<std::int64_t> complete_list_size;  // as announced by the server
};

struct HarvestOptions {
  std::string endpoint = "https://oaipmh.arxiv.org/oai";
  std::string set;    // e.g. "cs" or "physics:hep-ph"; "" = everything
  std::string from;   // YYYY-MM-DD; "" = where the last completed harvest ended, else all
  std::string until;  // YYYY-MM-DD; "" = no upper bound
  std::string metadata_prefix = "arXiv";
  std::chrono::milliseconds delay{3000};  // between request starts
  int max_retries = 5;                    // per page, for failures other than badResumptionToken
  std::chrono::seconds max_retry_after{600};  // cap on Retry-After and on backoff waits
  bool restart = false;                       // ignore a saved resumption token
  std::function<void(const HarvestProgress&)> on_progress;  // after each committed page
  std::function<void(const std::string&)> on_skip;          // "page P record N: reason"
  std::function<void(const std::string&)> on_info;          // resumption, retries, restarts
};

struct HarvestSummary {
  std::int64_t pages = 0;  // pages fetched by this call
  bool resumed = false;    // continued a saved resumption token
  IngestCounts counts;
  std::string completed_until;  // the day the completed harvest reached
};

// Runs (or resumes) a ListRecords harvest into `store`. Fails with a one-line error after
// max_retries failed attempts at one page; everything committed before that stays, with the
// token to resume from.
Result<HarvestSummary> harvest(Store& store, HttpClient& http, const HarvestOptions& options);

// "paperboy/0.1 (+https://github.com/paperboy-search/paperboy; self-hosted paper discovery)"
std::string default_user_agent();

// The HarvestState key: "endpoint|set|prefix".
std::string harvest_key(std::string_view endpoint, std::string_view set,
                        std::string_view metadata_prefix);

// The wait a Retry-After header asks for: delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct
// 2015 07:28:00 GMT", relative to `now`; a past date means no wait). nullopt when unparsable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::time_t now);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

}  // namespace pb::ingest
