// The accounts part of the store (store/accounts.hpp) and get_many, against a real SQLite file.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

using pb::testing::TempDir;
using Ids = std::vector<std::string>;

// 2024-01-03T00:00:00Z
constexpr std::int64_t kJan3 = 1704240000;

std::string fmt_id(int i) {
  std::string n = std::to_string(i);
  return "2401." + std::string(5 - n.size(), '0') + n;
}

Paper make(std::string id, std::string announced, std::vector<std::string> categories,
           std::string submitted = "2024-01-01T10:00:00Z") {
  Paper p;
  p.id = std::move(id);
  p.version = 1;
  p.title = "Paper " + p.id;
  p.abstract = "About " + p.id;
  p.authors = {"Ada Lovelace"};
  p.categories = std::move(categories);
  p.submitted = std::move(submitted);
  p.announced = std::move(announced);
  p.versions = {{1, p.submitted}};
  canonicalise(p);
  return p;
}

class AccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(s).value();
  }
  UserId user(std::string name) {
    auto id = store_->create_user(name, name + "@example.org", "$argon2id$hash", 100);
    EXPECT_TRUE(id.ok()) << id.error().message();
    return id.ok() ? *id : 0;
  }
  void add(std::vector<Paper> papers) {
    auto r = store_->upsert(papers);
    ASSERT_TRUE(r.ok()) << r.error().message();
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// --- users and sessions

TEST_F(AccountStoreTest, CreatesAndFindsUsersCaseInsensitively) {
  auto id = store_->create_user("Ada", "Ada@Example.org", "$argon2id$x", 1000);
  ASSERT_TRUE(id.ok()) << id.error().message();
  EXPECT_GT(*id, 0);
  for (const char* key : {"Ada", "ada", "ADA", "ada@example.org", "ADA@EXAMPLE.ORG"}) {
    auto u = store_->find_user(key);
    ASSERT_TRUE(u.ok());
    ASSERT_TRUE(u->has_value()) << key;
    EXPECT_EQ((*u)->id, *id);
    EXPECT_EQ((*u)->name, "Ada");  // stored as typed
    EXPECT_EQ((*u)->email, "Ada@Example.org");
    EXPECT_EQ((*u)->password_hash, "$argon2id$x");
    EXPECT_EQ((*u)->created_at, 1000);
  }
  EXPECT_FALSE(store_->find_user("Bob")->has_value());
  EXPECT_FALSE(store_->find_user("")->has_value());
  auto got = store_->get_user(*id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, "Ada");
  EXPECT_FALSE(store_->get_user(*id + 1)->has_value());
  auto second = store_->create_user("Bob", "bob@example.org", "h", 1001);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *id);
}

TEST_F(AccountStoreTest, TakenNameOrEmailIsAConflictThatSaysWhich) {
  ASSERT_TRUE(store_->create_user("Ada", "ada@example.org", "h", 1).ok());
  auto name = store_->create_user("aDA", "other@example.org", "h", 2);
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().code(), ErrorCode::kConflict);
  EXPECT_NE(name.error().message().find("name"), std::string::npos) << name.error().message();
  auto email = store_->create_user("Grace", "ADA@example.ORG", "h", 3);
  ASSERT_FALSE(email.ok());
  EXPECT_EQ(email.error().code(), ErrorCode::kConflict);
  EXPECT_NE(email.error().message().find("e-mail"), std::string::npos) << email.error().message();
  // Nothing half-written: Grace can still register with her own address.
  EXPECT_TRUE(store_->create_user("Grace", "grace@example.org", "h", 4).ok());
  EXPECT_EQ(store_->create_user("", "x@example.org", "h", 5).error().code(),
            ErrorCode::kInvalidInput);
}

TEST_F(AccountStoreTest, NameWinsOverAnotherUsersEmail) {
  auto a = store_->create_user("x@example.org", "a@example.org", "h", 1);
  auto b = store_->create_user("b", "X@example.org", "h", 2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*store_->find_user("x@example.org"))->id, *a);
}

TEST_F(AccountStoreTest, SessionsExpire) {
  UserId u = user("ada");
  Session s{"abc123", u, "csrf-1", 1000, 2000};
  ASSERT_TRUE(store_->create_session(s).ok());
  auto found = store_->find_session("abc123", 1999);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->user_id, u);
  EXPECT_EQ((*found)->csrf_token, "csrf-1");
  EXPECT_EQ((*found)->created_at, 1000);
  EXPECT_EQ((*found)->expires_at, 2000);
  EXPECT_EQ((*found)->token_hash, "abc123");
  EXPECT_FALSE(store_->find_session("abc123", 2000)->has_value());  // expired at expires_at
  EXPECT_FALSE(store_->find_session("ABC123", 1500)->has_value());  // hashes are exact
  EXPECT_FALSE(store_->find_session("nope", 1500)->has_value());

  // A duplicate token and an unknown user are refused.
  EXPECT_EQ(store_->create_session(s).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(store_->create_session({"t2", u + 99, "c", 0, 10}).error().code(),
            ErrorCode::kNotFound);

  ASSERT_TRUE(store_->create_session({"t3", u, "c3", 1000, 3000}).ok());
  ASSERT_TRUE(store_->create_session({"t4", u, "c4", 1000, 4000}).ok());
  auto removed = store_->delete_expired_sessions(3000);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);  // abc123 and t3
  EXPECT_TRUE(store_->find_session("t4", 3000)->has_value());
  ASSERT_TRUE(store_->delete_session("t4").ok());
  EXPECT_FALSE(store_->find_session("t4", 3000)->has_value());
  EXPECT_TRUE(store_->delete_session("t4").ok());  // signing out twice is fine
  EXPECT_EQ(*store_->delete_expired_sessions(1'000'000), 0);
}

TEST_F(AccountStoreTest, TwoStoreObjectsShareTheDatabase) {
  auto other = open_sqlite_store({.data_dir = dir_.path()});
  ASSERT_TRUE(other.ok());
  UserId u = user("ada");
  auto seen = (*other)->find_user("ADA");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->id, u);
  EXPECT_EQ((*other)->create_user("Ada", "z@example.org", "h", 1).error().code(),
            ErrorCode::kConflict);
}

// --- not interested

TEST_F(AccountStoreTest, NotInterestedIsPerUserNewestFirstAndUndoable) {
  UserId u = user("ada");
  EXPECT_TRUE(*store_->set_not_interested(u, "2401.00001", true, 10));
  EXPECT_FALSE(*store_->set_not_interested(u, "2401.00001", true, 20));  // already
  EXPECT_TRUE(*store_->set_not_interested(u, "2401.00002", true, 30));
  EXPECT_EQ(*store_->not_interested(u), (Ids{"2401.00002", "2401.00001"}));
  EXPECT_TRUE(store_->not_interested(u + 1)->empty());
  EXPECT_TRUE(*store_->set_not_interested(u, "2401.00002", false, 40));
  EXPECT_FALSE(*store_->set_not_interested(u, "2401.00002", false, 50));
  EXPECT_EQ(*store_->not_interested(u), Ids{"2401.00001"});
}

// --- upvotes

TEST_F(AccountStoreTest, VotesAreIdempotentAndUndoable) {
  UserId u = user("ada");
  EXPECT_TRUE(*store_->set_vote(u, "2401.00001", true, 10));
  EXPECT_FALSE(*store_->set_vote(u, "2401.00001", true, 20));  // already up
  EXPECT_TRUE(*store_->set_vote(u, "2401.00003", true, 30));
  auto v = store_->voted(u, Ids{"2401.00003", "2401.00002", "2401.00001"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (Ids{"2401.00003", "2401.00001"}));  // input order
  EXPECT_TRUE(*store_->set_vote(u, "2401.00001", false, 40));
  EXPECT_FALSE(*store_->set_vote(u, "2401.00001", false, 50));  // nothing to undo
  EXPECT_EQ(*store_->voted(u, Ids{"2401.00001", "2401.00003"}), Ids{"2401.00003"});
  EXPECT_TRUE(store_->voted(u, Ids{})->empty());
  EXPECT_TRUE(store_->voted(u + 1, Ids{"2401.00003"})->empty());  // per user
  EXPECT_EQ(*store_->votes_of(u), Ids{"2401.00003"});
  EXPECT_TRUE(*store_->set_vote(u, "2401.00002", true, 60));
  EXPECT_EQ(*store_->votes_of(u), (Ids{"2401.00002", "2401.00003"}));  // newest first
  EXPECT_TRUE(store_->votes_of(u + 1)->empty());
  EXPECT_TRUE(*store_->set_vote(u, "2401.00002", false, 70));
  // Standing votes are events, at the time they were first cast.
  auto events = store_->vote_events(0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].at, 30);
  EXPECT_EQ(store_->set_vote(u + 99, "2401.00001", true, 1).error().code(), ErrorCode::kNotFound);
}

TEST_F(AccountStoreTest, CountsCombineLatestImportedAndLocal) {
  Paper a = make("2401.00001", "2024-01-03", {"cs.LG"});
  a.signals = {{"upvotes", 5, "huggingface", "2024-01-03"},
               {"upvotes", 12, "huggingface", "2024-01-05T08:00:00Z"},
               {"upvotes", 9, "huggingface", "2024-01-04T23:00:00.500Z"},
               // 2024-01-05T09:00Z, later than the 08:00Z one though earlier as text
               {"upvotes", 14, "huggingface", "2024-01-05T05:00:00-04:00"},
               {"upvotes", 1000, "paperboy", "2024-02-01"},  // not imported
               {"comments", 77, "huggingface", "2024-03-01"}};
  Paper b = make("2401.00002", "2024-01-03", {"cs.LG"});
  b.signals = {{"upvotes", 3, "huggingface", "2024-01-02"}};
  add({a, b, make("2401.00003", "2024-01-03", {"cs.LG"})});
  UserId u1 = user("ada"), u2 = user("bob");
  ASSERT_TRUE(store_->set_vote(u1, "2401.00001", true, 1).ok());
  ASSERT_TRUE(store_->set_vote(u2, "2401.00001", true, 2).ok());
  ASSERT_TRUE(store_->set_vote(u2, "2401.00003", true, 3).ok());

  Ids ids = {"2401.00003", "9999.99999", "2401.00001", "2401.00002", "2401.00001"};
  auto c = store_->upvote_counts(ids);
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ((*c)[i].paper_id, ids[i]);
  EXPECT_EQ((*c)[0].imported, 0);
  EXPECT_EQ((*c)[0].local, 1);
  EXPECT_EQ((*c)[1].total(), 0);
  EXPECT_EQ((*c)[2].imported, 14);
  EXPECT_EQ((*c)[2].local, 2);
  EXPECT_EQ((*c)[2].total(), 16);
  EXPECT_EQ((*c)[3].imported, 3);
  EXPECT_EQ((*c)[3].local, 0);
  EXPECT_EQ((*c)[4].total(), 16);
  EXPECT_TRUE(store_->upvote_counts(Ids{})->empty());
}

TEST_F(AccountStoreTest, CountsOfManyIdsCrossChunks) {
  std::vector<Paper> batch;
  for (int i = 1; i <= 1200; ++i) {
    Paper p = make(fmt_id(i), "2024-01-03", {"cs.LG"});
    p.signals = {{"upvotes", i, "huggingface", "2024-01-03"}};
    batch.push_back(std::move(p));
  }
  add(batch);
  UserId u = user("ada");
  Ids ids;
  for (int i = 1201; i >= 1; --i) ids.push_back(fmt_id(i));  // 1201 is unknown
  for (int i = 1; i <= 1200; i += 7) ASSERT_TRUE(store_->set_vote(u, fmt_id(i), true, i).ok());
  auto c = store_->upvote_counts(ids);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), ids.size());
  for (size_t k = 0; k < ids.size(); ++k) {
    int i = 1201 - static_cast<int>(k);
    EXPECT_EQ((*c)[k].paper_id, ids[k]);
    EXPECT_EQ((*c)[k].imported, i == 1201 ? 0 : i);
    EXPECT_EQ((*c)[k].local, i <= 1200 && (i - 1) % 7 == 0 ? 1 : 0) << i;
  }
  auto v = store_->voted(u, ids);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size(), 172u);
  EXPECT_EQ(v->front(), fmt_id(1198));
  EXPECT_EQ(v->back(), fmt_id(1));
}

TEST_F(AccountStoreTest, VoteEventsParseTimesAndStartAtSince) {
  Paper a = make("2401.00001", "2024-01-03", {"cs.LG"});
  a.signals = {
      {"upvotes", 1, "huggingface", "2024-01-02"},                   // kJan3 - 86400
      {"upvotes", 2, "huggingface", "2024-01-03"},                   // kJan3
      {"upvotes", 3, "huggingface", "2024-01-03T10:00:00Z"},         // kJan3 + 36000
      {"upvotes", 4, "huggingface", "2024-01-03T10:00:01.250Z"},     // kJan3 + 36001
      {"upvotes", 5, "huggingface", "2024-01-03T12:00:02+02:00"},    // kJan3 + 36002
      {"upvotes", 6, "huggingface", "2024-01-02T23:00:03-11:00"},    // kJan3 + 36003
      {"upvotes", 7, "huggingface", "2024-01-03T10:00:04"},          // no zone: UTC
      {"upvotes", 8, "huggingface", "2024-01-03T15:30:05+0530"},     // kJan3 + 36005
      {"upvotes", 9, "huggingface", "yesterday"},                    // skipped
      {"upvotes", 10, "huggingface", "2024-02-30"},                  // skipped
      {"upvotes", 11, "huggingface", "2024-01-03T25:00:00Z"},        // skipped
      {"upvotes", 12, "huggingface", "2024-01-03T10:00:00+02:00x"},  // skipped
      {"comments", 13, "huggingface", "2024-01-03"},                 // not upvotes
  };
  add({a});
  UserId u = user("ada");
  ASSERT_TRUE(store_->set_vote(u, "2401.00002", true, kJan3 + 50000).ok());
  ASSERT_TRUE(store_->set_vote(u, "2401.00001", true, kJan3 - 5).ok());

  auto all = store_->vote_events(0);
  ASSERT_TRUE(all.ok()) << all.error().message();
  std::vector<std::int64_t> values, ats;
  for (const auto& e : *all) {
    values.push_back(e.value);
    ats.push_back(e.at);
  }
  EXPECT_EQ(values, (std::vector<std::int64_t>{1, 1, 2, 3, 4, 5, 6, 7, 8, 1}));
  EXPECT_EQ(ats, (std::vector<std::int64_t>{kJan3 - 86400, kJan3 - 5, kJan3, kJan3 + 36000,
                                            kJan3 + 36001, kJan3 + 36002, kJan3 + 36003,
                                            kJan3 + 36004, kJan3 + 36005, kJan3 + 50000}));
  EXPECT_EQ((*all)[1].source, "paperboy");
  EXPECT_EQ((*all)[1].paper_id, "2401.00001");
  EXPECT_EQ((*all)[2].source, "huggingface");

  // since is inclusive, on both kinds of events.
  auto later = store_->vote_events(kJan3 + 36002);
  ASSERT_TRUE(later.ok());
  values.clear();
  for (const auto& e : *later) values.push_back(e.value);
  EXPECT_EQ(values, (std::vector<std::int64_t>{5, 6, 7, 8, 1}));
  EXPECT_EQ(store_->vote_events(kJan3 + 50000)->size(), 1u);
  EXPECT_TRUE(store_->vote_events(kJan3 + 50001)->empty());
  // The -11:00 time is on the previous day as text: the day pre-filter must not lose it.
  EXPECT_EQ(store_->vote_events(kJan3 + 36003)->front().value, 6);
}

// --- the library

TEST_F(AccountStoreTest, LibraryNormalisesTagsFiltersAndOrders) {
  UserId u = user("ada"), other = user("bob");
  ASSERT_TRUE(store_->save_paper(u, "2401.00001", Ids{" ML ", "ml", "Vision", "", "  "}, 10).ok());
  ASSERT_TRUE(store_->save_paper(u, "2401.00002", Ids{}, 20).ok());
  ASSERT_TRUE(store_->save_paper(u, "2401.00003", Ids{"vision", "to-read"}, 30).ok());
  ASSERT_TRUE(store_->save_paper(other, "2401.00009", Ids{"ml"}, 40).ok());

  auto one = store_->saved(u, "2401.00001");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->tags, (Ids{"ml", "vision"}));
  EXPECT_EQ((*one)->saved_at, 10);
  EXPECT_EQ((*one)->paper_id, "2401.00001");
  EXPECT_FALSE(store_->saved(u, "2401.00009")->has_value());

  auto ids_of = [](const std::vector<SavedPaper>& v) {
    Ids out;
    for (const auto& p : v) out.push_back(p.paper_id);
    return out;
  };
  auto all = store_->library(u, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids_of(*all), (Ids{"2401.00003", "2401.00002", "2401.00001"}));  // newest first
  EXPECT_EQ((*all)[1].tags, Ids{});
  EXPECT_EQ(ids_of(*store_->library(u, "vision")), (Ids{"2401.00003", "2401.00001"}));
  EXPECT_EQ(ids_of(*store_->library(u, " VISION ")), (Ids{"2401.00003", "2401.00001"}));
  EXPECT_EQ(ids_of(*store_->library(u, "to-read")), Ids{"2401.00003"});
  EXPECT_TRUE(store_->library(u, "vis")->empty());  // whole tags only

  // Re-tagging replaces the tags and keeps the paper's place.
  ASSERT_TRUE(store_->save_paper(u, "2401.00001", Ids{"Later"}, 99).ok());
  EXPECT_EQ((*store_->saved(u, "2401.00001"))->tags, Ids{"later"});
  EXPECT_EQ((*store_->saved(u, "2401.00001"))->saved_at, 10);
  EXPECT_EQ(ids_of(*store_->library(u, "vision")), Ids{"2401.00003"});

  ASSERT_TRUE(store_->unsave_paper(u, "2401.00003").ok());
  ASSERT_TRUE(store_->unsave_paper(u, "2401.00003").ok());
  EXPECT_EQ(ids_of(*store_->library(u, "")), (Ids{"2401.00002", "2401.00001"}));
  EXPECT_EQ(ids_of(*store_->library(other, "")), Ids{"2401.00009"});
  EXPECT_EQ(store_->save_paper(other + 5, "x", Ids{}, 1).error().code(), ErrorCode::kNotFound);
}

// --- follows

TEST_F(AccountStoreTest, Follows) {
  UserId u = user("ada");
  ASSERT_TRUE(store_->follow(u, {FollowKind::kCategory, "cs.LG"}, 1).ok());
  ASSERT_TRUE(store_->follow(u, {FollowKind::kAuthor, "Yann LeCun"}, 2).ok());
  ASSERT_TRUE(store_->follow(u, {FollowKind::kAuthor, "Geoffrey Hinton"}, 3).ok());
  ASSERT_TRUE(store_->follow(u, {FollowKind::kAuthor, "Yann LeCun"}, 4).ok());  // again
  // The same value as another kind is another follow.
  ASSERT_TRUE(store_->follow(u, {FollowKind::kCategory, "Yann LeCun"}, 5).ok());
  auto f = store_->follows(u);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (std::vector<Follow>{{FollowKind::kAuthor, "Geoffrey Hinton"},
                                     {FollowKind::kAuthor, "Yann LeCun"},
                                     {FollowKind::kCategory, "Yann LeCun"},
                                     {FollowKind::kCategory, "cs.LG"}}));
  ASSERT_TRUE(store_->unfollow(u, {FollowKind::kCategory, "Yann LeCun"}).ok());
  ASSERT_TRUE(store_->unfollow(u, {FollowKind::kCategory, "cs.CV"}).ok());
  EXPECT_EQ(store_->follows(u)->size(), 3u);
  EXPECT_TRUE(store_->follows(u + 1)->empty());
}

// --- subscriptions

TEST_F(AccountStoreTest, OutboxQueuesOncePerKeyAndRecordsTheDigest) {
  Subscription s;
  s.email = "r@example.org";
  s.created_at = 1;
  auto id = store_->upsert_subscription(s);
  ASSERT_TRUE(id.ok());
  OutboxMessage m;
  m.key = "digest:1:daily:2026-11-20";
  m.subscription_id = *id;
  m.kind = "digest";
  m.recipient = s.email;
  m.message = "Subject: x\r\n\r\nbody\r\n";
  m.papers = {"2511.00001", "2511.00002"};
  m.next_attempt_at = 100;
  m.created_at = 100;
  const DigestMark mark{*id, "2026-11-20", "2026-11-20"};
  auto q = store_->enqueue_mail(m, &mark);
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_TRUE(*q);
  // The same key again: not queued, and the mark is not rewritten.
  const DigestMark other{*id, "2026-11-21", "2026-11-21"};
  q = store_->enqueue_mail(m, &other);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(*q);
  auto sub = store_->get_subscription(*id);
  ASSERT_TRUE(sub.ok() && *sub);
  EXPECT_EQ((*sub)->last_digest_day, "2026-11-20");
  EXPECT_EQ((*sub)->last_digest_period, "2026-11-20");
  auto papers = store_->digest_papers_since(*id, 0);
  ASSERT_TRUE(papers.ok());
  EXPECT_EQ(*papers, m.papers);
  papers = store_->digest_papers_since(*id, 101);
  ASSERT_TRUE(papers.ok());
  EXPECT_TRUE(papers->empty());
}

TEST_F(AccountStoreTest, OutboxStatesAttemptsAndDueTimes) {
  OutboxMessage m;
  m.key = "k1";
  m.kind = "digest";
  m.recipient = "a@example.org";
  m.message = "m";
  m.next_attempt_at = 50;
  m.created_at = 10;
  ASSERT_TRUE(store_->enqueue_mail(m, nullptr).ok());
  m.key = "k2";
  m.next_attempt_at = 500;
  ASSERT_TRUE(store_->enqueue_mail(m, nullptr).ok());
  auto due = store_->due_mail(100, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].key, "k1");
  EXPECT_EQ((*due)[0].state, MailState::kQueued);
  const auto id = (*due)[0].id;
  // "sending" is due whatever its time: a run that died mid-send left it in doubt.
  ASSERT_TRUE(store_->update_mail(id, MailState::kSending, 100, 0, "").ok());
  due = store_->due_mail(0, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].state, MailState::kSending);
  EXPECT_EQ((*due)[0].attempts, 1);
  ASSERT_TRUE(store_->update_mail(id, MailState::kQueued, 100, 160, "451 try later").ok());
  auto next = store_->next_mail_at();
  ASSERT_TRUE(next.ok() && *next);
  EXPECT_EQ(**next, 160);
  ASSERT_TRUE(store_->update_mail(id, MailState::kSending, 160, 0, "").ok());
  ASSERT_TRUE(store_->update_mail(id, MailState::kSent, 161, 0, "").ok());
  auto all = store_->outbox(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].state, MailState::kSent);
  EXPECT_EQ((*all)[1].attempts, 2);
  EXPECT_EQ((*all)[1].sent_at, 161);
  EXPECT_FALSE((*all)[1].subscription_state.has_value());
  auto queued = store_->count_mail(MailState::kQueued);
  auto sent = store_->count_mail(MailState::kSent);
  ASSERT_TRUE(queued.ok() && sent.ok());
  EXPECT_EQ(*queued, 1);  // k2
  EXPECT_EQ(*sent, 1);    // k1
  EXPECT_FALSE(store_->update_mail(999, MailState::kSent, 1, 0, "").ok());
  // A message without a key or recipient is refused.
  m.key = "";
  EXPECT_FALSE(store_->enqueue_mail(m, nullptr).ok());
}

TEST_F(AccountStoreTest, PruningKeepsKeysAndPapersThenForgets) {
  OutboxMessage m;
  m.kind = "digest";
  m.recipient = "p@example.org";
  m.message = "the body";
  m.papers = {"2511.00001"};
  for (int i = 0; i < 3; ++i) {
    m.key = "k" + std::to_string(i);
    m.created_at = 100 * (i + 1);  // 100, 200, 300
    ASSERT_TRUE(store_->enqueue_mail(m, nullptr).ok());
  }
  auto all = store_->outbox(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  for (const auto& x : *all) {  // k0 and k1 sent, k2 still queued
    if (x.key != "k2") {
      ASSERT_TRUE(store_->update_mail(x.id, MailState::kSent, 1, 0, "").ok());
    }
  }
  auto n = store_->prune_outbox(/*clear_before=*/250, /*delete_before=*/150);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);  // k0's and k1's bodies cleared, then k0 deleted
  all = store_->outbox(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const auto& x : *all) {
    if (x.key == "k1") {
      EXPECT_EQ(x.message, "");
      EXPECT_EQ(x.papers, m.papers);
    } else {
      EXPECT_EQ(x.key, "k2");
      EXPECT_EQ(x.message, "the body");  // not finished: untouched
    }
  }
  // A pruned key still makes composing idempotent.
  m.key = "k1";
  auto q = store_->enqueue_mail(m, nullptr);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(*q);
}

TEST_F(AccountStoreTest, RemovingASubscriptionRemovesItsMail) {
  Subscription s;
  s.email = "gone@example.org";
  auto id = store_->upsert_subscription(s);
  ASSERT_TRUE(id.ok());
  OutboxMessage m;
  m.key = "confirm:x";
  m.subscription_id = *id;
  m.kind = "confirm";
  m.recipient = s.email;
  m.message = "m";
  ASSERT_TRUE(store_->enqueue_mail(m, nullptr).ok());
  auto due = store_->due_mail(0, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].subscription_state, SubscriptionState::kPending);
  ASSERT_TRUE(store_->remove_subscription("GONE@example.org").ok());
  due = store_->due_mail(0, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
}

TEST_F(AccountStoreTest, SubscriptionUpsertSemantics) {
  Subscription s;
  s.email = "Reader@Example.org";
  s.frequency = "weekly";
  s.queries = {"graph neural networks"};
  s.categories = {"cs.LG"};
  s.top_papers = false;
  s.created_at = 500;
  auto id = store_->upsert_subscription(s);
  ASSERT_TRUE(id.ok()) << id.error().message();

  auto got = store_->find_subscription("reader@example.ORG");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->id, *id);
  EXPECT_EQ((*got)->email, "Reader@Example.org");
  EXPECT_EQ((*got)->frequency, "weekly");
  EXPECT_EQ((*got)->state, SubscriptionState::kPending);
  EXPECT_EQ((*got)->queries, Ids{"graph neural networks"});
  EXPECT_TRUE((*got)->authors.empty());
  EXPECT_EQ((*got)->categories, Ids{"cs.LG"});
  EXPECT_FALSE((*got)->top_papers);
  EXPECT_FALSE((*got)->user_id.has_value());
  EXPECT_EQ((*got)->created_at, 500);

  // Confirmed, then subscribed again (signed in): same id, new topics, still confirmed.
  ASSERT_TRUE(store_->set_subscription_state(*id, SubscriptionState::kConfirmed).ok());
  UserId u = user("reader");
  Subscription again;
  again.email = "READER@example.org";
  again.authors = {"Ada Lovelace"};
  again.user_id = u;
  again.created_at = 900;
  auto id2 = store_->upsert_subscription(again);
  ASSERT_TRUE(id2.ok());
  EXPECT_EQ(*id2, *id);
  got = store_->find_subscription("reader@example.org");
  EXPECT_EQ((*got)->state, SubscriptionState::kConfirmed);
  EXPECT_EQ((*got)->frequency, "daily");
  EXPECT_TRUE((*got)->queries.empty());
  EXPECT_EQ((*got)->authors, Ids{"Ada Lovelace"});
  EXPECT_TRUE((*got)->categories.empty());
  EXPECT_TRUE((*got)->top_papers);
  EXPECT_EQ((*got)->user_id, std::optional<UserId>(u));
  EXPECT_EQ((*got)->created_at, 500);
  EXPECT_EQ((*got)->email, "Reader@Example.org");

  // Unsubscribed, then subscribed again (signed out): pending, and the user is kept.
  ASSERT_TRUE(store_->set_subscription_state(*id, SubscriptionState::kUnsubscribed).ok());
  EXPECT_EQ((*store_->find_subscription("reader@example.org"))->state,
            SubscriptionState::kUnsubscribed);
  again.user_id.reset();
  ASSERT_EQ(*store_->upsert_subscription(again), *id);
  got = store_->find_subscription("reader@example.org");
  EXPECT_EQ((*got)->state, SubscriptionState::kPending);
  EXPECT_EQ((*got)->user_id, std::optional<UserId>(u));

  // Bouncing stays bouncing.
  ASSERT_TRUE(store_->set_subscription_state(*id, SubscriptionState::kBouncing).ok());
  ASSERT_EQ(*store_->upsert_subscription(again), *id);
  EXPECT_EQ((*store_->find_subscription("reader@example.org"))->state,
            SubscriptionState::kBouncing);

  Subscription other;
  other.email = "other@example.org";
  other.state = SubscriptionState::kConfirmed;
  auto oid = store_->upsert_subscription(other);
  ASSERT_TRUE(oid.ok());
  EXPECT_NE(*oid, *id);
  auto all = store_->subscriptions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, *id);
  EXPECT_EQ((*all)[1].email, "other@example.org");
  EXPECT_EQ((*all)[1].state, SubscriptionState::kConfirmed);

  ASSERT_TRUE(store_->remove_subscription("READER@EXAMPLE.ORG").ok());
  EXPECT_FALSE(store_->find_subscription("reader@example.org")->has_value());
  EXPECT_EQ(store_->subscriptions()->size(), 1u);
  EXPECT_TRUE(store_->remove_subscription("reader@example.org").ok());
  EXPECT_EQ(store_->set_subscription_state(*id, SubscriptionState::kConfirmed).error().code(),
            ErrorCode::kNotFound);
  Subscription bad;
  bad.email = "x@example.org";
  bad.frequency = "hourly";
  EXPECT_EQ(store_->upsert_subscription(bad).error().code(), ErrorCode::kInvalidInput);
}

// --- daily curated lists

TEST_F(AccountStoreTest, ListingsAddConflictNotFoundAndKeepSeq) {
  Paper a = make("2401.00001", "2024-01-03", {"cs.LG"});
  a.daily = {{"2024-01-03", "huggingface", "akhaliq"}};
  add({a, make("2401.00002", "2024-01-03", {"cs.LG"}),
       make("2401.00003", "2024-01-04", {"cs.CV"})});
  auto seq = store_->max_seq();
  ASSERT_TRUE(seq.ok());

  ASSERT_TRUE(store_->add_listing({"2024-01-05", "2401.00002", "paperboy", "ada"}).ok());
  ASSERT_TRUE(store_->add_listing({"2024-01-05", "2401.00001", "", "bob"}).ok());
  ASSERT_TRUE(store_->add_listing({"2024-01-03", "2401.00003", "paperboy", "ada"}).ok());
  auto dup = store_->add_listing({"2024-01-05", "2401.00002", "paperboy", "bob"});
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);
  // Already on that day's list from another source.
  EXPECT_EQ(store_->add_listing({"2024-01-03", "2401.00001", "paperboy", "bob"}).error().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(store_->add_listing({"2024-01-05", "2401.99999", "paperboy", "bob"}).error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->add_listing({"2024-1-5", "2401.00002", "paperboy", "bob"}).error().code(),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(*store_->max_seq(), *seq);  // indexes need not see listings

  auto l = store_->listings("2024-01-03", "2024-01-05");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 4u);
  EXPECT_EQ((*l)[0].day, "2024-01-03");
  EXPECT_EQ((*l)[0].paper_id, "2401.00001");
  EXPECT_EQ((*l)[0].source, "huggingface");
  EXPECT_EQ((*l)[0].submitted_by, "akhaliq");
  EXPECT_EQ((*l)[1].paper_id, "2401.00003");
  EXPECT_EQ((*l)[2].day, "2024-01-05");
  EXPECT_EQ((*l)[2].paper_id, "2401.00001");
  EXPECT_EQ((*l)[2].source, "paperboy");  // the default
  EXPECT_EQ((*l)[2].submitted_by, "bob");
  EXPECT_EQ((*l)[3].paper_id, "2401.00002");
  EXPECT_EQ(store_->listings("2024-01-04", "2024-01-04")->size(), 0u);
  EXPECT_EQ(store_->listings("2024-01-05", "2024-01-05")->size(), 2u);

  // The paper itself shows the listing.
  auto p = store_->get("2401.00002");
  ASSERT_TRUE(p.ok() && p->has_value());
  ASSERT_EQ((*p)->daily.size(), 1u);
  EXPECT_EQ((*p)->daily[0].day, "2024-01-05");

  EXPECT_EQ(*store_->listing_day_before("2024-01-05"), "2024-01-03");
  EXPECT_EQ(*store_->listing_day_before("2024-01-04"), "2024-01-03");
  EXPECT_EQ(*store_->listing_day_before("2024-01-03"), "");
  EXPECT_EQ(*store_->listing_day_after("2024-01-03"), "2024-01-05");
  EXPECT_EQ(*store_->listing_day_after("2024-01-05"), "");
  EXPECT_EQ(*store_->latest_listing_day(), "2024-01-05");
}

TEST_F(AccountStoreTest, EmptyStoreHasNoDays) {
  EXPECT_EQ(*store_->latest_listing_day(), "");
  EXPECT_EQ(*store_->listing_day_before("2024-01-01"), "");
  EXPECT_EQ(*store_->listing_day_after("2024-01-01"), "");
  EXPECT_EQ(*store_->latest_announcement_day(), "");
  EXPECT_EQ(*store_->announcement_day_before("2024-01-01"), "");
  EXPECT_EQ(*store_->announcement_day_after("2024-01-01"), "");
  EXPECT_TRUE(store_->announced_on("2024-01-01", Ids{})->empty());
  EXPECT_TRUE(store_->listings("0000-00-00", "9999-99-99")->empty());
}

TEST_F(AccountStoreTest, AnnouncedOnFiltersCategoriesAndFallsBackToSubmission) {
  add({make("2401.00004", "2024-01-03", {"cs.LG", "stat.ML"}),
       make("2401.00002", "2024-01-03", {"cs.CL"}),
       make("2401.00001", "2024-01-03", {"stat.ML", "cs.LG"}),  // cs.LG secondary
       make("2401.00003", "2024-01-04", {"cs.LG"}),
       // No announcement day: the submission's day counts.
       make("2401.00005", "", {"cs.LGX"}, "2024-01-03T23:59:59Z"),
       make("2401.00006", "", {"cs.CV"}, "2024-01-08"),
       // Submitted that day but announced later.
       make("2401.00007", "2024-01-09", {"cs.LG"}, "2024-01-03T01:00:00Z"),
       // No date at all: on no day.
       make("2401.00008", "", {"cs.LG"}, "")});

  EXPECT_EQ(*store_->announced_on("2024-01-03", Ids{}),
            (Ids{"2401.00001", "2401.00002", "2401.00004", "2401.00005"}));
  EXPECT_EQ(*store_->announced_on("2024-01-03", Ids{"cs.LG"}), (Ids{"2401.00001", "2401.00004"}));
  EXPECT_EQ(*store_->announced_on("2024-01-03", Ids{"cs.CL", "cs.LGX"}),
            (Ids{"2401.00002", "2401.00005"}));
  EXPECT_TRUE(store_->announced_on("2024-01-03", Ids{"cs"})->empty());  // not a prefix match
  EXPECT_TRUE(store_->announced_on("2024-01-03", Ids{"cs.L"})->empty());
  EXPECT_TRUE(store_->announced_on("2024-01-03", Ids{"cs.L%"})->empty());
  EXPECT_TRUE(store_->announced_on("2024-01-03", Ids{"cs_LG"})->empty());
  EXPECT_EQ(*store_->announced_on("2024-01-08", Ids{}), Ids{"2401.00006"});
  EXPECT_TRUE(store_->announced_on("", Ids{})->empty());
  EXPECT_TRUE(store_->announced_on("2024-01-05", Ids{})->empty());

  EXPECT_EQ(*store_->latest_announcement_day(), "2024-01-09");
  EXPECT_EQ(*store_->announcement_day_before("2024-01-08"), "2024-01-04");
  EXPECT_EQ(*store_->announcement_day_before("2024-01-07"), "2024-01-04");
  EXPECT_EQ(*store_->announcement_day_before("2024-01-03"), "");  // '' is not a day
  EXPECT_EQ(*store_->announcement_day_after("2024-01-04"), "2024-01-08");
  EXPECT_EQ(*store_->announcement_day_after("2024-01-09"), "");
  EXPECT_EQ(*store_->announcement_day_after(""), "2024-01-03");

  // A later version that brings the announcement day moves the paper.
  Paper moved = make("2401.00005", "2024-01-04", {"cs.LGX"}, "2024-01-03T23:59:59Z");
  moved.version = 2;
  moved.versions = {{2, "2024-01-04T00:00:00Z"}};
  add({moved});
  EXPECT_EQ(*store_->announced_on("2024-01-04", Ids{}), (Ids{"2401.00003", "2401.00005"}));
}

// --- get_many

TEST_F(AccountStoreTest, GetManyFollowsIdsSkipsMissingAndRepeats) {
  std::vector<Paper> batch;
  for (int i = 1; i <= 1100; ++i) {
    Paper p = make(fmt_id(i), "2024-01-03", {"cs.LG"});
    if (i % 3 == 0) p.signals = {{"upvotes", i, "huggingface", "2024-01-03"}};
    if (i % 4 == 0) p.daily = {{"2024-01-03", "huggingface", "x"}};
    if (i % 5 == 0) p.versions = {{1, "2023-12-30"}, {2, "2024-01-02"}};
    batch.push_back(std::move(p));
  }
  add(batch);
  Ids ids = {fmt_id(7), "2401.99999", fmt_id(3), fmt_id(7), "", fmt_id(12), fmt_id(5)};
  auto got = store_->get_many(ids);
  ASSERT_TRUE(got.ok()) << got.error().message();
  Ids out;
  for (const auto& p : *got) out.push_back(p.id);
  EXPECT_EQ(out, (Ids{fmt_id(7), fmt_id(3), fmt_id(12), fmt_id(5)}));
  for (const auto& p : *got) EXPECT_EQ(p, **store_->get(p.id)) << p.id;
  EXPECT_TRUE(store_->get_many(Ids{})->empty());
  EXPECT_TRUE(store_->get_many(Ids{"nope"})->empty());

  // More ids than one chunk, in reverse order.
  Ids many;
  for (int i = 1100; i >= 1; --i) many.push_back(fmt_id(i));
  auto all = store_->get_many(many);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1100u);
  size_t mismatches = 0;
  for (size_t k = 0; k < all->size(); ++k)
    if ((*all)[k].id != many[k] || (*all)[k] != **store_->get(many[k])) ++mismatches;
  EXPECT_EQ(mismatches, 0u);
}

// --- hostile input

TEST_F(AccountStoreTest, HostileStringsRoundTrip) {
  const Ids hostile = {"O'Brien",    "100%",        "a_b",          "'; DROP TABLE users; --",
                       "\"quoted\"", "back\\slash", "x%' OR '1'='1"};
  std::vector<UserId> ids;
  for (size_t i = 0; i < hostile.size(); ++i) {
    auto id = store_->create_user(hostile[i], hostile[i] + "@x.org", hostile[i], 1);
    ASSERT_TRUE(id.ok()) << hostile[i] << ": " << id.error().message();
    ids.push_back(*id);
  }
  for (size_t i = 0; i < hostile.size(); ++i) {
    auto u = store_->find_user(hostile[i]);
    ASSERT_TRUE(u.ok() && u->has_value()) << hostile[i];
    EXPECT_EQ((*u)->id, ids[i]);
    EXPECT_EQ((*u)->name, hostile[i]);
    EXPECT_EQ((*u)->password_hash, hostile[i]);
  }
  EXPECT_FALSE(store_->find_user("a%")->has_value());
  EXPECT_FALSE(store_->find_user("a_")->has_value());
  EXPECT_FALSE(store_->find_user("%")->has_value());

  UserId u = ids[0];
  Paper p = make("2401.00001", "2024-01-03", {"cs.LG", "a%b", "x_y"});
  add({p});
  ASSERT_TRUE(store_->save_paper(u, "2401.00001", hostile, 1).ok());
  Ids sorted_tags;
  for (const auto& t : hostile) sorted_tags.push_back(t);
  for (auto& t : sorted_tags)
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::sort(sorted_tags.begin(), sorted_tags.end());
  EXPECT_EQ((*store_->saved(u, "2401.00001"))->tags, sorted_tags);
  EXPECT_EQ(store_->library(u, "'; drop table users; --")->size(), 1u);
  EXPECT_TRUE(store_->library(u, "%")->empty());

  for (const auto& h : hostile) ASSERT_TRUE(store_->follow(u, {FollowKind::kAuthor, h}, 1).ok());
  EXPECT_EQ(store_->follows(u)->size(), hostile.size());

  Subscription s;
  s.email = "'; DROP TABLE subscriptions; --@x.org";
  s.queries = hostile;
  s.authors = hostile;
  ASSERT_TRUE(store_->upsert_subscription(s).ok());
  auto sub = store_->find_subscription(s.email);
  ASSERT_TRUE(sub.ok() && sub->has_value());
  EXPECT_EQ((*sub)->queries, hostile);
  EXPECT_EQ((*sub)->email, s.email);

  ASSERT_TRUE(store_->add_listing({"2024-01-05", "2401.00001", "paperboy", hostile[3]}).ok());
  EXPECT_EQ((*store_->listings("2024-01-05", "2024-01-05"))[0].submitted_by, hostile[3]);
  EXPECT_EQ(store_->add_listing({"2024-01-05", "x' OR '1'='1", "paperboy", ""}).error().code(),
            ErrorCode::kNotFound);

  EXPECT_EQ(*store_->announced_on("2024-01-03", Ids{"a%b"}), Ids{"2401.00001"});
  EXPECT_TRUE(store_->announced_on("2024-01-03", Ids{"a%"})->empty());
  EXPECT_TRUE(store_->announced_on("2024-01-03", Ids{"x%y"})->empty());
  EXPECT_TRUE(store_->announced_on("2024-01-03'; --", Ids{})->empty());
  EXPECT_TRUE(store_->get_many(Ids{"' OR 1=1 --", "%"})->empty());
  EXPECT_EQ(store_->upvote_counts(Ids{"' OR 1=1 --"})->at(0).total(), 0);
  EXPECT_TRUE(store_->voted(u, Ids{"' OR 1=1 --"})->empty());

  // Every table is still there.
  EXPECT_EQ(store_->find_user(hostile[3])->value().name, hostile[3]);
  EXPECT_EQ(store_->subscriptions()->size(), 1u);
  EXPECT_EQ(*store_->count(), 1);
}

// --- migration

// A store written by the previous release (schema v1 only) opens, migrates to v2, keeps its
// data and gets the announcement days of the papers it already had.
TEST(AccountStoreMigration, UpgradesAVersion1Store) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "paperboy.db").c_str(), &db), SQLITE_OK);
    auto v1 = store_sqlite::migrations()[0];
    ASSERT_EQ(v1.version, 1);
    std::string sql =
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
        "applied_at TEXT NOT NULL);" +
        std::string(v1.sql) +
        "INSERT INTO schema_migrations VALUES (1, 'v1', '2026-01-01T00:00:00Z');"
        "INSERT INTO papers (id, version, title, categories, primary_category, submitted, "
        "announced, seq) VALUES ('2305.00001', 1, 'Old', 'cs.LG', 'cs.LG', "
        "'2023-05-06T10:00:00Z', '', 1), ('2305.00002', 1, 'Older', 'cs.CV', 'cs.CV', "
        "'2023-05-01T10:00:00Z', '2023-05-02', 2);"
        "INSERT INTO daily_listings VALUES ('2023-05-07', '2305.00001', 'huggingface', 'ak');"
        "INSERT INTO signals VALUES ('2305.00001', 'upvotes', 'huggingface', '2023-05-07', 4);";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
  }
  for (int round = 0; round < 2; ++round) {  // migrating, then already migrated
    auto s = open_sqlite_store({.data_dir = dir.path()});
    ASSERT_TRUE(s.ok()) << s.error().message();
    Store& store = **s;
    EXPECT_EQ(store.schema_version(), 4);
    EXPECT_EQ(*store.count(), 2);
    EXPECT_EQ(*store.max_seq(), 2);
    auto p = store.get("2305.00001");
    ASSERT_TRUE(p.ok() && p->has_value());
    EXPECT_EQ((*p)->title, "Old");
    ASSERT_EQ((*p)->daily.size(), 1u);
    EXPECT_EQ(*store.announced_on("2023-05-06", Ids{}), Ids{"2305.00001"});
    EXPECT_EQ(*store.announced_on("2023-05-02", Ids{"cs.CV"}), Ids{"2305.00002"});
    EXPECT_EQ(*store.latest_announcement_day(), "2023-05-06");
    EXPECT_EQ(*store.latest_listing_day(), "2023-05-07");
    EXPECT_EQ(store.upvote_counts(Ids{"2305.00001"})->at(0).imported, 4);
    if (round == 0) {
      ASSERT_TRUE(store.create_user("ada", "ada@example.org", "h", 1).ok());
    } else {
      EXPECT_TRUE(store.find_user("ada")->has_value());
    }
  }
  auto ro = open_sqlite_store({.data_dir = dir.path(), .read_only = true});
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  EXPECT_EQ((*ro)->schema_version(), 4);
}

}  // namespace
}  // namespace pb
