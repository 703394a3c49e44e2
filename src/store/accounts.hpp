#pragma once
// What people do on the site, next to the papers in the same store: accounts and sessions,
// upvotes, saved papers with tags (the library), follows, e-mail subscriptions and papers
// submitted to a day's curated list. Part of the Store contract (store.hpp).
//
// Times are Unix seconds (UTC). User names are compared case-insensitively (ASCII) and
// e-mail addresses too; both are stored as typed.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb {

using UserId = std::int64_t;

struct User {
  UserId id = 0;
  std::string name;
  std::string email;
  std::string password_hash;  // argon2id string (libsodium crypto_pwhash_str)
  std::int64_t created_at = 0;
};

// A signed-in browser. The cookie carries a random token; the store keeps only its hash, so a
// leaked database does not hand out sessions.
struct Session {
  std::string token_hash;  // hex
  UserId user_id = 0;
  std::string csrf_token;  // per-session synchroniser token for state-changing forms
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};

// One observation of a paper's upvotes: a local vote (value 1 at the vote's time, source
// "paperboy") or an imported count (e.g. Hugging Face's upvotes at observed_at).
struct VoteEvent {
  std::string paper_id;
  std::string source;
  std::int64_t value = 0;
  std::int64_t at = 0;  // Unix seconds
};

struct UpvoteCount {
  std::string paper_id;
  std::int64_t imported = 0;  // latest imported count (Hugging Face), 0 when none
  std::int64_t local = 0;     // votes cast here
  std::int64_t total() const { return imported + local; }
};

struct SavedPaper {
  std::string paper_id;
  std::vector<std::string> tags;  // sorted, unique
  std::int64_t saved_at = 0;
};

enum class FollowKind { kAuthor, kCategory };

struct Follow {
  FollowKind kind = FollowKind::kAuthor;
  std::string value;  // author name as printed, or a category such as cs.CL
  bool operator==(const Follow&) const = default;
};

enum class SubscriptionState { kPending, kConfirmed, kUnsubscribed, kBouncing };

// An e-mail subscription: what a digest contains (the top papers, saved searches, followed
// authors and categories, papers like the linked user's library) and how often it comes.
struct Subscription {
  std::int64_t id = 0;
  std::string email;
  std::string frequency = "daily";  // "daily" | "weekly"
  SubscriptionState state = SubscriptionState::kPending;
  std::vector<std::string> queries;     // saved searches
  std::vector<std::string> authors;     // followed authors
  std::vector<std::string> categories;  // followed categories
  bool top_papers = true;               // the day's / week's top papers
  bool recommend = false;               // papers like the user's library (needs user_id)
  std::optional<UserId> user_id;        // set when subscribed while signed in
  std::int64_t created_at = 0;
  // Written by the digest composer with the digest's outbox row (enqueue_mail): the latest
  // announcement day the last digest covered, and its period ("2026-11-20", "2026-W47").
  std::string last_digest_day;
  std::string last_digest_period;
};

// One e-mail in the outbox. The idempotency key names what the message is for (a digest:
// subscription and period; a confirmation: subscription and request), so composing the same
// digest twice queues it once.
enum class MailState { kQueued, kSending, kSent, kFailed, kBounced, kCancelled };

struct OutboxMessage {
  std::int64_t id = 0;
  std::string key;  // unique
  std::optional<std::int64_t> subscription_id;
  std::string kind;  // "confirm" | "digest"
  std::string recipient;
  std::string message;              // the whole RFC 5322 message, CRLF line ends
  std::vector<std::string> papers;  // a digest's paper ids
  MailState state = MailState::kQueued;
  std::int64_t attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::string last_error;
  std::int64_t created_at = 0;
  std::int64_t sent_at = 0;
  // Read with the message: its subscription's state (nullopt without one).
  std::optional<SubscriptionState> subscription_state;
};

// Recorded on the subscription in the same transaction that queues its digest.
struct DigestMark {
  std::int64_t subscription_id = 0;
  std::string day;     // latest announcement day covered
  std::string period;  // "YYYY-MM-DD" (daily) or "YYYY-Www" (weekly)
};

// "pending", "confirmed", "unsubscribed", "bouncing": as stored, and as the CLI prints them.
std::string_view subscription_state_name(SubscriptionState s);

struct ListingEntry {
  std::string day;  // YYYY-MM-DD
  std::string paper_id;
  std::string source;  // "huggingface", "paperboy"
  std::string submitted_by;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // --- users and sessions
  // kConflict when the name or e-mail is taken.
  virtual Result<UserId> create_user(std::string_view name, std::string_view email,
                                     std::string_view password_hash, std::int64_t now) = 0;
  virtual Result<std::optional<User>> find_user(std::string_view name_or_email) = 0;
  virtual Result<std::optional<User>> get_user(UserId id) = 0;

  virtual Status create_session(const Session& session) = 0;
  // The session with this token hash, if it exists and has not expired at `now`.
  virtual Result<std::optional<Session>> find_session(std::string_view token_hash,
                                                      std::int64_t now) = 0;
  virtual Status delete_session(std::string_view token_hash) = 0;
  // Removes sessions expired at `now`; returns how many.
  virtual Result<std::int64_t> delete_expired_sessions(std::int64_t now) = 0;

  // --- upvotes: one per user per paper. Returns whether anything changed.
  virtual Result<bool> set_vote(UserId user, std::string_view paper_id, bool up,
                                std::int64_t now) = 0;
  // Which of `paper_ids` the user has upvoted (a subset, in input order).
  virtual Result<std::vector<std::string>> voted(UserId user,
                                                 std::span<const std::string> paper_ids) = 0;
  // Every paper the user has upvoted, newest vote first (the recommender's positives).
  virtual Result<std::vector<std::string>> votes_of(UserId user) = 0;
  // Upvote counts of `paper_ids`, in input order (zeros for papers without votes).
  virtual Result<std::vector<UpvoteCount>> upvote_counts(
      std::span<const std::string> paper_ids) = 0;
  // Every vote event at or after `since` (local votes and imported "upvotes" signals, whose
  // observed_at is parsed as ISO 8601; unparsable times are skipped), for trending.
  virtual Result<std::vector<VoteEvent>> vote_events(std::int64_t since) = 0;

  // --- the library: saved papers with tags
  // Saves (or re-tags) a paper; tags are trimmed, lower-cased, deduplicated.
  virtual Status save_paper(UserId user, std::string_view paper_id,
                            std::span<const std::string> tags, std::int64_t now) = 0;
  virtual Status unsave_paper(UserId user, std::string_view paper_id) = 0;
  // Saved papers, newest first; only those carrying `tag` when it is not empty.
  virtual Result<std::vector<SavedPaper>> library(UserId user, std::string_view tag) = 0;
  virtual Result<std::optional<SavedPaper>> saved(UserId user, std::string_view paper_id) = 0;

  // --- "not interested": papers the user dismissed (the recommender's explicit negatives).
  // Returns whether anything changed.
  virtual Result<bool> set_not_interested(UserId user, std::string_view paper_id, bool on,
                                          std::int64_t now) = 0;
  // The dismissed papers, newest first.
  virtual Result<std::vector<std::string>> not_interested(UserId user) = 0;

  // --- follows
  virtual Status follow(UserId user, const Follow& f, std::int64_t now) = 0;
  virtual Status unfollow(UserId user, const Follow& f) = 0;
  virtual Result<std::vector<Follow>> follows(UserId user) = 0;

  // --- subscriptions (keyed by e-mail, case-insensitive): adding an existing address
  // replaces its topics and frequency and keeps its state unless it had unsubscribed (then
  // it is pending again). Returns the subscription's id.
  virtual Result<std::int64_t> upsert_subscription(const Subscription& s) = 0;
  virtual Result<std::optional<Subscription>> find_subscription(std::string_view email) = 0;
  virtual Result<std::vector<Subscription>> subscriptions() = 0;
  virtual Status set_subscription_state(std::int64_t id, SubscriptionState state) = 0;
  virtual Status remove_subscription(std::string_view email) = 0;
  virtual Result<std::optional<Subscription>> get_subscription(std::int64_t id) = 0;

  // --- the outbox: e-mail to send, sent exactly once per key
  // Queues `m` (state queued, attempts 0) unless a message with its key exists; with a mark,
  // records the subscription's last digest in the same transaction. Returns whether it was
  // queued.
  virtual Result<bool> enqueue_mail(const OutboxMessage& m, const DigestMark* mark) = 0;
  // Messages to send at `now`, oldest first: queued ones whose next attempt is due, and those
  // left "sending" by a run that died mid-send (in doubt: they are sent again).
  virtual Result<std::vector<OutboxMessage>> due_mail(std::int64_t now, size_t limit) = 0;
  // Moves a message to `state`. kSending counts an attempt; kQueued schedules the next one at
  // `next_attempt_at`; kSent records `now` as its sending time. `error` is kept as last_error.
  virtual Status update_mail(std::int64_t id, MailState state, std::int64_t now,
                             std::int64_t next_attempt_at, std::string_view error) = 0;
  // The earliest next attempt of a queued message (nullopt when none is queued).
  virtual Result<std::optional<std::int64_t>> next_mail_at() = 0;
  // Paper ids of the subscription's digests queued at or after `since`.
  virtual Result<std::vector<std::string>> digest_papers_since(std::int64_t subscription_id,
                                                               std::int64_t since) = 0;
  virtual Result<std::vector<OutboxMessage>> outbox(std::optional<std::int64_t> subscription_id,
                                                    size_t limit) = 0;
  // How many messages are in `state` (an index range, however large the outbox).
  virtual Result<std::int64_t> count_mail(MailState state) = 0;
  // Keeps the outbox small: finished messages (sent, failed, bounced, cancelled) created before
  // `clear_before` lose their body (their key and paper ids stay, for idempotency and for
  // "never the same paper twice"), and all created before `delete_before` are deleted.
  // Returns how many rows changed.
  virtual Result<std::int64_t> prune_outbox(std::int64_t clear_before,
                                            std::int64_t delete_before) = 0;

  // --- the daily curated lists
  // Adds a paper to a day's list (source "paperboy"); kConflict when it is already on that
  // day's list from any source; kNotFound when the store does not have the paper. Does not
  // change the paper's seq (indexes do not need to see it).
  virtual Status add_listing(const ListingEntry& entry) = 0;
  // Listings with first <= day <= last, by day then paper id.
  virtual Result<std::vector<ListingEntry>> listings(std::string_view first,
                                                     std::string_view last) = 0;
  // The closest day before / after `day` that has listings ("" when none).
  virtual Result<std::string> listing_day_before(std::string_view day) = 0;
  virtual Result<std::string> listing_day_after(std::string_view day) = 0;
  // The latest day with listings ("" when none).
  virtual Result<std::string> latest_listing_day() = 0;
  // Ids of papers announced on `day` (announced, else the submission date), whose categories
  // include any of `categories` (all when empty), by id.
  virtual Result<std::vector<std::string>> announced_on(
      std::string_view day, std::span<const std::string> categories) = 0;
  // The closest day before / after `day` on which papers were announced ("" when none), and
  // the latest such day.
  virtual Result<std::string> announcement_day_before(std::string_view day) = 0;
  virtual Result<std::string> announcement_day_after(std::string_view day) = 0;
  virtual Result<std::string> latest_announcement_day() = 0;
};

}  // namespace pb
