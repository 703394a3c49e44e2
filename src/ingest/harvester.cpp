#include "ingest/harvester.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <thread>

#include "core/dates.hpp"
#include "ingest/oai_pmh.hpp"

namespace pb::ingest {
namespace {

using Clock = std::chrono::steady_clock;

// Spaces out request starts: the next request may start `delay` after the previous one
// started, or later when a retry wait pushed it back.
class Pacer {
 public:
  explicit Pacer(std::chrono::milliseconds delay) : delay_(delay) {}
  void wait_turn() {
    if (started_) std::this_thread::sleep_until(next_);
    started_ = true;
    next_ = Clock::now() + delay_;
  }
  void defer(Clock::duration wait) { next_ = std::max(next_, Clock::now() + wait); }

 private:
  std::chrono::milliseconds delay_;
  bool started_ = false;
  Clock::time_point next_{};
};

std::string join_url(std::string_view endpoint) {
  std::string url(endpoint);
  url += url.find('?') == std::string::npos ? '?' : '&';
  return url;
}

std::string first_url(const HarvestOptions& o, const std::string& from) {
  std::string url =
      join_url(o.endpoint) + "verb=ListRecords&metadataPrefix=" + url_encode(o.metadata_prefix);
  if (!o.set.empty()) url += "&set=" + url_encode(o.set);
  if (!from.empty()) url += "&from=" + url_encode(from);
  if (!o.until.empty()) url += "&until=" + url_encode(o.until);
  return url;
}

std::string token_url(const HarvestOptions& o, const std::string& token) {
  return join_url(o.endpoint) + "verb=ListRecords&resumptionToken=" + url_encode(token);
}

// Fetches and parses one page, retrying transient failures (see harvester.hpp).
class PageFetcher {
 public:
  PageFetcher(HttpClient& http, const HarvestOptions& o) : http_(http), o_(o), pacer_(o.delay) {}

  // A badResumptionToken answer is returned to the caller (which restarts the list); other
  // OAI-PMH errors except noRecordsMatch count as failed attempts.
  Result<OaiPage> fetch(const std::string& url, std::int64_t page_no) {
    const std::string where = fmt::format("page {}", page_no);
    for (int failures = 0;; ++failures) {
      pacer_.wait_turn();
      auto response = http_.get(url);
      std::string problem;
      ErrorCode code = ErrorCode::kNetwork;
      std::optional<Clock::duration> wait;
      if (!response.ok()) {
        problem = response.error().message();
      } else if (response->status == 503 || response->status == 429) {
        problem = fmt::format("HTTP {}", response->status);
        auto header = response->headers.find("retry-after");
        if (auto ra = header == response->headers.end()
                          ? std::nullopt
                          : parse_retry_after(header->second, std::time(nullptr))) {
          wait = std::min<Clock::duration>(*ra, o_.max_retry_after);
          problem += fmt::format(" (Retry-After {}s)", ra->count());
        }
      } else if (response->status >= 500) {
        problem = fmt::format("HTTP {}", response->status);
      } else if (response->status < 200 || response->status >= 300) {
        // Other statuses (404, 400, 403) will not heal by asking again.
        return Error::network(fmt::format("{}: HTTP {} from {}", where, response->status, url));
      } else {
        auto page = parse_oai_page(response->body, where);
        if (!page.ok()) {
          problem = page.error().message();
          code = ErrorCode::kInvalidInput;
        } else if (page->error_code.empty() || page->error_code == "noRecordsMatch" ||
                   page->error_code == "badResumptionToken") {
          return page;
        } else {
          problem =
              fmt::format("{}: OAI-PMH error {}: {}", where, page->error_code, page->error_message);
          code = ErrorCode::kInvalidInput;
        }
      }
      if (problem.rfind(where, 0) != 0) problem = fmt::format("{}: {}", where, problem);
      if (failures >= o_.max_retries)
        return Error(code, fmt::format("{} (gave up after {} retries; URL {})", problem,
                                       o_.max_retries, url));
      if (!wait) {
        // Exponential backoff: delay * 2^k for the k-th retry, capped like Retry-After.
        const auto backoff = o_.delay * (std::int64_t{1} << std::min(failures + 1, 20));
        wait = std::min<Clock::duration>(backoff, o_.max_retry_after);
      }
      pacer_.defer(*wait);
      if (o_.on_info)
        o_.on_info(
            fmt::format("{}; retry {} of {} in {} ms", problem, failures + 1, o_.max_retries,
                        std::chrono::duration_cast<std::chrono::milliseconds>(*wait).count()));
    }
  }

 private:
  HttpClient& http_;
  const HarvestOptions& o_;
  Pacer pacer_;
};

}  // namespace

std::string default_user_agent() {
  return "paperboy/0.1 (+https://github.com/paperboy-search/paperboy; self-hosted paper "
         "discovery)";
}

std::string harvest_key(std::string_view endpoint, std::string_view set,
                        std::string_view metadata_prefix) {
  return fmt::format("{}|{}|{}", endpoint, set, metadata_prefix);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::time_t now) {
  // RFC 9110 section 10.2.3: delay-seconds or an HTTP-date.
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  std::int64_t secs = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (!value.empty() && ec == std::errc() && end == value.data() + value.size())
    return secs >= 0 ? std::optional(std::chrono::seconds(secs)) : std::nullopt;
  const auto iso = dates::normalise(value);  // "YYYY-MM-DDTHH:MM:SSZ" for an HTTP-date
  if (!iso || iso->size() != 20) return std::nullopt;
  int f[6] = {};
  static constexpr size_t kPos[6] = {0, 5, 8, 11, 14, 17};
  for (int i = 0; i < 6; ++i)
    std::from_chars(iso->data() + kPos[i], iso->data() + kPos[i] + (i == 0 ? 4 : 2), f[i]);
  std::tm tm{};
  tm.tm_year = f[0] - 1900;
  tm.tm_mon = f[1] - 1;
  tm.tm_mday = f[2];
  tm.tm_hour = f[3];
  tm.tm_min = f[4];
  tm.tm_sec = f[5];
  const std::time_t at = timegm(&tm);
  return std::chrono::seconds(at > now ? at - now : 0);
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<HarvestSummary> harvest(Store& store, HttpClient& http, const HarvestOptions& o) {
  auto info = [&](const std::string& m) {
    if (o.on_info) o.on_info(m);
  };
  const std::string key = harvest_key(o.endpoint, o.set, o.metadata_prefix);
  PB_ASSIGN_OR_RETURN(std::optional<HarvestState> saved, store.harvest_state(key));

  HarvestSummary summary;
  std::string from = o.from;
  if (from.empty() && saved && !saved->completed_until.empty()) {
    // Incremental by default: OAI-PMH `from` is inclusive, so the boundary day is fetched
    // again and records added to it after the last harvest are not missed.
    from = saved->completed_until;
    info(fmt::format("harvesting from {}, where the last completed harvest ended", from));
  }

  HarvestState state;
  if (!o.restart && saved && !saved->token.empty() && saved->from_date == from &&
      saved->until_date == o.until) {
    state = *saved;
    summary.resumed = true;
    info(fmt::format("resuming {} at page {}", key, state.pages + 1));
  } else {
    if (saved && !saved->token.empty())
      info(o.restart ? "restart requested: ignoring the saved resumption token"
                     : "from/until differ from the interrupted harvest: starting afresh");
    state.key = key;
    state.from_date = from;
    state.until_date = o.until;
    if (saved) state.completed_until = saved->completed_until;
  }

  PageFetcher fetcher(http, o);
  std::string latest_datestamp;
  bool restarted = false;
  for (;;) {
    const std::int64_t page_no = state.pages + 1;
    const bool with_token = !state.token.empty();
    const std::string url = with_token ? token_url(o, state.token) : first_url(o, state.from_date);
    PB_ASSIGN_OR_RETURN(OaiPage page, fetcher.fetch(url, page_no));
    ++summary.pages;

    if (page.error_code == "badResumptionToken") {
      // Tokens expire; the list can only be started again. Once per call, so a server that
      // rejects every token cannot keep us looping.
      if (!with_token || restarted)
        return Error::invalid_input(fmt::format("page {}: OAI-PMH error badResumptionToken: {}",
                                                page_no, page.error_message));
      restarted = true;
      info(fmt::format("page {}: resumption token rejected ({}); restarting the list from {}",
                       page_no, page.error_message,
                       state.from_date.empty() ? "the beginning" : state.from_date));
      state.token.clear();
      state.pages = 0;
      state.records = 0;
      continue;
    }

    // One writer per page, sized so that it never flushes by itself: the page's papers and
    // the new state must land in the same transaction.
    BatchWriter writer(store, page.records.size() + 1);
    for (Record& rec : page.records) {
      if (rec.ignored) {
        ++summary.counts.ignored;
        continue;
      }
      ++summary.counts.records;
      if (rec.repaired_utf8) ++summary.counts.repaired_utf8;
      if (!rec.paper.ok()) {
        ++summary.counts.skipped;
        if (o.on_skip) o.on_skip(rec.where + ": " + rec.paper.error().message());
        continue;
      }
      PB_RETURN_IF_ERROR(writer.add(std::move(rec.paper).value(), summary.counts));
    }
    latest_datestamp = std::max(latest_datestamp, page.latest_datestamp);
    state.pages += 1;
    state.records += static_cast<std::int64_t>(page.records.size());
    state.token = page.resumption_token;
    if (state.token.empty()) {
      state.completed_until = !o.until.empty()            ? o.until
                              : !latest_datestamp.empty() ? latest_datestamp
                                                          : dates::today_utc();
    }
    PB_RETURN_IF_ERROR(writer.flush(summary.counts, &state));
    if (o.on_progress) o.on_progress({state.pages, state.records, page.complete_list_size});
    if (state.token.empty()) break;
  }
  summary.completed_until = state.completed_until;
  return summary;
}

}  // namespace pb::ingest
