#pragma once
// E-mail digests and the mail around subscriptions.
//
// Flow: a subscription starts pending and gets a confirmation mail (double opt-in); the link
// in it confirms. compose_digests() then queues, per confirmed subscription and period, one
// digest in the store's outbox — the outbox key "digest:<subscription>:<frequency>:<period>"
// makes composing idempotent, and the subscription's last covered day is written in the same
// transaction. deliver() sends what the outbox holds: each message is marked "sending"
// before the SMTP transaction and "sent" after the server's 250, so a run killed at any
// point and run again sends every message once (the one exception, inherent to SMTP (RFC
// 1047): a kill between the server's 250 and our commit, a window of microseconds, sends
// that message again — with the same Message-ID, by which mail clients drop duplicates).
// Transient failures (4xx, no connection) are retried with exponential backoff; a 5xx
// marks the address bouncing and no more mail goes to it.
//
// The calendar: arXiv announces on weekdays, and the store knows each paper's announcement
// day. A daily digest covers the announcement days after the last digest's, up to the
// latest one on or before the run's date (at most a week back), so there is no mail on
// days without announcements and one catch-up mail after a gap. A weekly digest goes out on
// the first run of each ISO week that finds papers announced since the last one (at most two
// weeks back). Papers already sent to the subscriber are never sent again (new versions,
// cross-lists, a paper matching several topics).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "engine/recommend.hpp"
#include "index/lexical/index.hpp"
#include "mail/message.hpp"
#include "mail/smtp.hpp"
#include "store/store.hpp"
#include "text/analyzer.hpp"

namespace pb::digest {

// What links in mail need.
struct MailSettings {
  mail::Address from{"paperboy", "paperboy@localhost"};
  std::string base_url = "http://localhost:8080";  // no trailing slash
  std::string secret;                              // HMAC key of the signed links
  std::string site_name = "paperboy";
};

// The data directory's HMAC key (DATA/secret.key, created on first use, readable by the owner
// only; concurrent first uses agree on one key). The web server signs sessions' links with
// the same key, so links in mail composed by the CLI work on the site.
Result<std::string> load_secret(const std::filesystem::path& data_dir);

// --- signed links (HMAC-SHA256 over the purpose, subscription id and address). Unsubscribe
// and preferences links do not expire (they must work from an old mail); confirmation links
// expire after a week.
enum class LinkPurpose { kConfirm, kUnsubscribe, kPreferences };
std::string make_link_token(const MailSettings& m, LinkPurpose purpose, const Subscription& sub,
                            std::int64_t now);
// The subscription a token names, when its signature, purpose and expiry hold and the
// subscription still has the address it was made for. InvalidInput otherwise (one message
// for every failure, so that tokens cannot be probed).
Result<Subscription> open_link_token(const MailSettings& m, LinkPurpose purpose,
                                     std::string_view token, Store& store, std::int64_t now);
std::string link_url(const MailSettings& m, LinkPurpose purpose, const Subscription& sub,
                     std::int64_t now);

// Queues the confirmation mail of a pending subscription (at most one per hour per
// subscription: the key is "confirm:<id>:<hour>"). Returns whether one was queued.
Result<bool> queue_confirmation(Store& store, const Subscription& sub, const MailSettings& m,
                                std::int64_t now);

// --- composing
struct ComposeOptions {
  std::string date;               // the run's day (YYYY-MM-DD); "" = today (UTC)
  std::int64_t now = 0;           // Unix seconds, for the outbox and Date headers; 0 = the clock
  size_t top = 20;                // papers per digest
  size_t per_topic = 10;          // candidates taken from each topic
  bool dry_run = false;           // compose, call on_digest, queue nothing
  std::vector<std::string> only;  // limit to these addresses (case-insensitive); empty = all
  // "Papers like my library": embedding features from these vectors (engine/recommend.hpp).
  const engine::VectorSet* vectors = nullptr;
  double embedding_weight = 0.5;
};

struct DigestPaper {
  Paper paper;
  std::string title_text;  // plain text
  std::int64_t upvotes = 0;
  std::string reason;  // the topic that brought it, e.g. "search: diffusion"
};

struct DigestSection {
  std::string title;  // "Top papers", "Recommended for you", "Yann LeCun", "cs.CL", ...
  std::vector<DigestPaper> papers;
};

struct Digest {
  Subscription subscription;
  std::string key;        // outbox idempotency key
  std::string period;     // "2026-11-20" or "2026-W47"
  std::string first_day;  // announcement days covered
  std::string last_day;
  std::vector<DigestSection> sections;
  std::vector<std::string> paper_ids;
  std::string subject;
  std::string message;  // the whole RFC 5322 message
};

struct ComposeSummary {
  size_t subscriptions = 0;  // confirmed ones looked at
  size_t queued = 0;         // new digests in the outbox (or composed, in a dry run)
  size_t already = 0;        // the period's digest was already queued
  size_t no_news = 0;        // no announcement day since the last digest
  size_t empty = 0;          // announcements, but nothing for this subscriber
  std::string latest_day;    // latest announcement day on or before the run's date
  double seconds = 0;
  std::vector<double> train_ms;  // per "papers like my library" digest: the model's training
};

// Composes and queues the digests due on options.date. `on_digest` (optional) sees each
// composed digest before it is queued.
Result<ComposeSummary> compose_digests(Store& store, const lexical::IndexSnapshot& snapshot,
                                       text::Analyzer& analyzer, const MailSettings& m,
                                       const ComposeOptions& options,
                                       const std::function<void(const Digest&)>& on_digest = {});

// The subject and message of a digest whose sections, period and subscription are set.
Status render_digest(Digest& d, const MailSettings& m, std::int64_t now);

// --- delivery
struct DeliverOptions {
  std::int64_t retry_base_seconds = 60;       // first retry after this, doubling each time
  std::int64_t retry_max_seconds = 6 * 3600;  // backoff cap
  int max_attempts = 10;                      // then the message is given up (failed)
  // Keep running while a retry falls due within this many seconds (0: one pass).
  double wait_seconds = 0;
  size_t batch = 200;
  std::function<std::int64_t()> clock;  // Unix seconds; default the system clock
  std::function<void(const OutboxMessage&, const mail::SendResult&)> on_result;  // logging
};

struct DeliverSummary {
  size_t sent = 0;
  size_t retried = 0;  // transient failures rescheduled
  size_t bounced = 0;
  size_t failed = 0;     // given up after max_attempts
  size_t cancelled = 0;  // the subscription is no longer confirmed (or gone)
  size_t waiting = 0;    // still queued for a later retry when the run ended
};

Result<DeliverSummary> deliver(Store& store, mail::Transport& transport, const MailSettings& m,
                               const DeliverOptions& options);

// Finished messages lose their body after a week and their row after 200 days (longer than
// the composer looks back for papers already sent). A scan of the old part of the outbox:
// run it once a day or once per `digest run`, not per delivery round. Returns rows changed.
inline constexpr std::int64_t kKeepBodiesSeconds = 7 * 86400;
inline constexpr std::int64_t kKeepRowsSeconds = 200 * 86400;
Result<std::int64_t> prune_outbox(Store& store, std::int64_t now);

// One deliverer per data directory at a time (flock on DATA/mail.lock, released by the
// kernel when the process dies): a message another live process is sending is never seen
// as "in doubt". nullopt when another process holds it.
class DeliveryLock {
 public:
  static Result<std::optional<DeliveryLock>> try_acquire(const std::filesystem::path& data_dir);
  DeliveryLock(DeliveryLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DeliveryLock& operator=(DeliveryLock&&) = delete;
  ~DeliveryLock();

 private:
  explicit DeliveryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace pb::digest
