// The digest composer: which announcement days a subscriber's next digest covers, and which
// papers of those days it holds.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/ascii.hpp"
#include "core/dates.hpp"
#include "digest/digest.hpp"
#include "engine/lexical_search.hpp"
#include "engine/recommend.hpp"
#include "index/lexical/query.hpp"
#include "index/lexical/searcher.hpp"
#include "text/tex.hpp"

namespace pb::digest {

namespace {

constexpr std::int64_t kSentMemorySeconds = 120 * 86400;  // papers never sent twice within

// The papers announced on the days of one window, shared by every subscriber whose digest
// covers the same days.
struct Window {
  std::vector<Paper> papers;  // announced or curated on the window's days, by id
  std::vector<std::int64_t> upvotes;
  std::unordered_map<std::string, size_t> by_id;
  std::vector<size_t> top;  // curated listings of these days (else all), most upvoted first
  std::map<std::string, std::vector<size_t>> by_category;  // most upvoted first
  std::map<std::string, std::vector<size_t>> searches;     // query -> hits in the window
};

class Composer {
 public:
  Composer(Store& store, const lexical::IndexSnapshot& snapshot, text::Analyzer& analyzer,
           const MailSettings& m, const ComposeOptions& o)
      : store_(store), snapshot_(snapshot), analyzer_(analyzer), mail_(m), options_(o) {}

  Result<Window*> window(const std::string& first, const std::string& last) {
    auto& slot = windows_[first + "/" + last];
    if (slot) return slot.get();
    auto w = std::make_unique<Window>();
    std::vector<std::string> ids;
    for (std::string day = last; !day.empty() && day >= first;) {
      PB_ASSIGN_OR_RETURN(auto some, store_.announced_on(day, {}));
      ids.insert(ids.end(), some.begin(), some.end());
      PB_ASSIGN_OR_RETURN(day, store_.announcement_day_before(day));
    }
    const std::unordered_set<std::string> announced(ids.begin(), ids.end());
    // The days' curated lists (Hugging Face's daily papers, submissions here) are the top
    // papers: a paper is often listed a day or more after its announcement.
    PB_ASSIGN_OR_RETURN(auto listed, store_.listings(first, std::max(last, date_)));
    for (const auto& e : listed) ids.push_back(e.paper_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    PB_ASSIGN_OR_RETURN(w->papers, store_.get_many(ids));
    std::vector<std::string> found;
    for (const auto& p : w->papers) found.push_back(p.id);
    PB_ASSIGN_OR_RETURN(auto counts, store_.upvote_counts(found));
    for (size_t i = 0; i < w->papers.size(); ++i) {
      w->by_id.emplace(w->papers[i].id, i);
      w->upvotes.push_back(counts[i].total());
    }
    auto by_votes = [&](std::vector<size_t>& v) {
      std::stable_sort(v.begin(), v.end(),
                       [&](size_t a, size_t b) { return w->upvotes[a] > w->upvotes[b]; });
    };
    // Top papers: the curated lists; without any, the window's upvoted papers.
    std::unordered_set<size_t> seen;
    for (const auto& e : listed)
      if (auto f = w->by_id.find(e.paper_id); f != w->by_id.end() && seen.insert(f->second).second)
        w->top.push_back(f->second);
    if (w->top.empty())
      for (size_t i = 0; i < w->papers.size(); ++i)
        if (w->upvotes[i] > 0) w->top.push_back(i);
    by_votes(w->top);
    // A category's new papers are the ones announced in the window (a curated paper may be
    // older).
    for (size_t i = 0; i < w->papers.size(); ++i)
      if (announced.count(w->papers[i].id))
        for (const auto& c : w->papers[i].categories) w->by_category[c].push_back(i);
    for (auto& [c, v] : w->by_category) by_votes(v);
    slot = std::move(w);
    return slot.get();
  }

  // A search limited to the window's days; hits outside the window (none, normally) dropped.
  std::vector<size_t> search(Window& w, const std::string& first, const std::string& last,
                             const std::string& query, lexical::SortOrder sort) {
    const std::string key = fmt::format("{}\x1f{}", static_cast<int>(sort), query);
    if (auto f = w.searches.find(key); f != w.searches.end()) return f->second;
    lexical::Query q =
        lexical::parse_query(fmt::format("{} after:{} before:{}", query, first, last), analyzer_);
    lexical::SearchOptions opt;
    opt.k = options_.per_topic * 2;
    opt.sort = sort;
    opt.bm25 = engine::default_bm25();
    opt.pin_exact = false;
    auto resp = lexical::search(snapshot_, q, opt, analyzer_);
    std::vector<size_t> out;
    for (const auto& h : resp.hits)
      if (auto f = w.by_id.find(h.id); f != w.by_id.end()) out.push_back(f->second);
    w.searches.emplace(key, out);
    return out;
  }

  struct Candidates {
    std::string title;
    std::string reason;
    std::vector<size_t> papers;
    std::vector<std::string> why;  // per paper (recommendations), optional
  };

  Result<std::vector<Candidates>> topics(const Subscription& sub, Window& w,
                                         const std::string& first, const std::string& last) {
    std::vector<Candidates> out;
    if (sub.top_papers) out.push_back({"Top papers", "top papers", w.top, {}});
    if (sub.recommend && sub.user_id) {
      engine::RecommendOptions ro;
      ro.k = options_.per_topic;
      ro.first_day = first;
      ro.last_day = last;
      ro.candidate_days = 14;
      ro.vectors = options_.vectors;
      ro.embedding_weight = options_.embedding_weight;
      if (!rec_cache_) rec_cache_.emplace(snapshot_, analyzer_, ro.vectors, ro.embedding_weight);
      auto recs = engine::recommend(store_, snapshot_, *sub.user_id, ro, analyzer_, &*rec_cache_);
      if (recs.ok() && recs->basis != "none") train_ms_.push_back(recs->train_ms);
      if (recs.ok() && recs->basis != "none") {
        Candidates c{"Recommended for you", "like your library", {}, {}};
        for (const auto& r : recs->items)
          if (auto f = w.by_id.find(r.paper.id); f != w.by_id.end()) {
            c.papers.push_back(f->second);
            std::string why;
            if (!r.nearest_title.empty()) why = "like \u201c" + r.nearest_title + "\u201d";
            for (size_t i = 0; i < r.words.size() && i < 3; ++i)
              why += (i == 0 ? (why.empty() ? "" : "; ") : ", ") + r.words[i];
            c.why.push_back(std::move(why));
          }
        out.push_back(std::move(c));
      } else if (!recs.ok() && recs.error().code() != ErrorCode::kNotFound) {
        return recs.error();
      }
    }
    for (const auto& a : sub.authors) {
      std::string name = a;
      std::erase(name, '"');
      out.push_back({a,
                     "author: " + a,
                     search(w, first, last, "au:\"" + name + "\"", lexical::SortOrder::kDate),
                     {}});
    }
    for (const auto& c : sub.categories) {
      auto f = w.by_category.find(c);
      out.push_back(
          {c, "category: " + c, f == w.by_category.end() ? std::vector<size_t>{} : f->second, {}});
    }
    for (const auto& q : sub.queries)
      out.push_back({"Search: " + q,
                     "search: " + q,
                     search(w, first, last, q, lexical::SortOrder::kRelevance),
                     {}});
    return out;
  }

  Result<ComposeSummary> run(const std::function<void(const Digest&)>& on_digest) {
    const auto t0 = std::chrono::steady_clock::now();
    ComposeSummary sum;
    const std::int64_t now = options_.now ? options_.now : dates::unix_now();
    const std::string date = options_.date.empty() ? dates::day_from_unix(now) : options_.date;
    date_ = date;
    if (!dates::valid_day(date))
      return Error::invalid_input(fmt::format("'{}' is not a day (YYYY-MM-DD)", date));
    PB_ASSIGN_OR_RETURN(const std::string latest,
                        store_.announcement_day_before(dates::add_days(date, 1)));
    sum.latest_day = latest;
    std::unordered_set<std::string> only;
    for (const auto& e : options_.only) only.insert(ascii_lower(e));
    PB_ASSIGN_OR_RETURN(auto subs, store_.subscriptions());
    for (auto& sub : subs) {
      if (sub.state != SubscriptionState::kConfirmed) continue;
      if (!only.empty() && !only.count(ascii_lower(sub.email))) continue;
      ++sum.subscriptions;
      const bool weekly = sub.frequency == "weekly";
      const std::string period = weekly ? dates::iso_week(date) : latest;
      if (weekly && sub.last_digest_period == period) {
        ++sum.already;
        continue;
      }
      if (latest.empty() || (!sub.last_digest_day.empty() && sub.last_digest_day >= latest)) {
        ++sum.no_news;
        continue;
      }
      // Catch up after a gap, but not beyond a week (two for weekly digests).
      std::string first = dates::add_days(latest, weekly ? -13 : -6);
      if (!sub.last_digest_day.empty())
        first = std::max(first, dates::add_days(sub.last_digest_day, 1));
      else
        first = weekly ? dates::add_days(latest, -6) : latest;
      PB_ASSIGN_OR_RETURN(Window * w, window(first, latest));
      PB_ASSIGN_OR_RETURN(auto sent_list,
                          store_.digest_papers_since(sub.id, now - kSentMemorySeconds));
      const std::unordered_set<std::string> sent(sent_list.begin(), sent_list.end());
      PB_ASSIGN_OR_RETURN(auto cands, topics(sub, *w, first, latest));

      Digest d;
      d.period = period;
      d.first_day = first;
      d.last_day = latest;
      d.key = fmt::format("digest:{}:{}:{}", sub.id, sub.frequency, period);
      // Round robin over the topics, best first, each paper once, until the digest is full.
      std::vector<size_t> pos(cands.size(), 0);
      std::vector<size_t> taken_from(cands.size(), 0);
      std::unordered_set<size_t> taken;
      d.sections.resize(cands.size());
      for (size_t i = 0; i < cands.size(); ++i) d.sections[i].title = cands[i].title;
      size_t total = 0;
      for (bool progress = true; progress && total < options_.top;) {
        progress = false;
        for (size_t t = 0; t < cands.size() && total < options_.top; ++t) {
          auto& c = cands[t];
          while (pos[t] < c.papers.size() && taken_from[t] < options_.per_topic) {
            const size_t at = pos[t]++;
            const size_t idx = c.papers[at];
            if (taken.count(idx) || sent.count(w->papers[idx].id)) continue;
            taken.insert(idx);
            ++taken_from[t];
            DigestPaper dp;
            dp.paper = w->papers[idx];
            dp.title_text = text::tex_to_text(dp.paper.title);
            dp.upvotes = w->upvotes[idx];
            dp.reason = at < c.why.size() && !c.why[at].empty() ? c.why[at] : c.reason;
            d.paper_ids.push_back(dp.paper.id);
            d.sections[t].papers.push_back(std::move(dp));
            ++total;
            progress = true;
            break;
          }
        }
      }
      std::erase_if(d.sections, [](const DigestSection& s) { return s.papers.empty(); });
      if (d.paper_ids.empty()) {
        ++sum.empty;
        continue;
      }
      d.subscription = sub;
      PB_RETURN_IF_ERROR(render_digest(d, mail_, now));
      if (on_digest) on_digest(d);
      if (options_.dry_run) {
        ++sum.queued;
        continue;
      }
      OutboxMessage out;
      out.key = d.key;
      out.subscription_id = sub.id;
      out.kind = "digest";
      out.recipient = sub.email;
      out.message = std::move(d.message);
      out.papers = std::move(d.paper_ids);
      out.next_attempt_at = now;
      out.created_at = now;
      const DigestMark mark{sub.id, latest, period};
      PB_ASSIGN_OR_RETURN(bool queued, store_.enqueue_mail(out, &mark));
      ++(queued ? sum.queued : sum.already);
    }
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sum.train_ms = std::move(train_ms_);
    return sum;
  }

 private:
  Store& store_;
  const lexical::IndexSnapshot& snapshot_;
  text::Analyzer& analyzer_;
  const MailSettings& mail_;
  const ComposeOptions& options_;
  std::unordered_map<std::string, std::unique_ptr<Window>> windows_;
  std::string date_;  // the run's day: curated lists count up to it
  std::vector<double> train_ms_;
  std::optional<engine::RecommendCache> rec_cache_;  // pools and vectors shared by all users
};

}  // namespace

Result<ComposeSummary> compose_digests(Store& store, const lexical::IndexSnapshot& snapshot,
                                       text::Analyzer& analyzer, const MailSettings& m,
                                       const ComposeOptions& options,
                                       const std::function<void(const Digest&)>& on_digest) {
  Composer c(store, snapshot, analyzer, m, options);
  return c.run(on_digest);
}

}  // namespace pb::digest
