// paperboy digest run; paperboy subscribers add|list|remove.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "core/dates.hpp"
#include "core/files.hpp"
#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "index/lexical/index.hpp"
#include "text/analyzer.hpp"

namespace pb::cli {

namespace {

std::string trim_line_ends(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct DigestArgs {
  MailArgs mail;
  std::string date;
  bool dry_run = false;
  size_t top = 20;
  std::string eml_dir;
  std::vector<std::string> only;
  double wait = 0;
  double retry_base = 60;
  bool json = false;
};

struct SubscriberArgs {
  std::string email;
  bool weekly = false;
  bool daily = false;
  std::vector<std::string> queries, authors, categories;
  bool top = false;
  std::string recommend_user;
  bool confirmed = false;
  bool json = false;
  MailArgs mail;
};

int cmd_digest_run(const Globals& g, const DigestArgs& a) {
  auto setup = mail_setup(g, a.mail);
  if (!setup.ok()) return fail(setup.error());
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto index = open_index(g);
  if (!index.ok()) return fail(index.error());
  // Digests search the index: bring it up to date with the store first.
  auto refreshed = engine::refresh_index(**store, **index, {});
  if (!refreshed.ok()) return fail(refreshed.error());
  if (!a.eml_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.eml_dir, ec);
    if (ec) {
      fmt::print(stderr, "paperboy: cannot create {}: {}\n", a.eml_dir, ec.message());
      return kBadInput;
    }
  }
  digest::ComposeOptions co;
  co.date = a.date;
  co.top = a.top;
  co.dry_run = a.dry_run;
  co.only = a.only;
  auto vectors = open_active_vectors(g);  // embedding features for "like my library"
  if (!vectors.ok()) return fail(vectors.error());
  co.vectors = vectors->get();
  text::Analyzer analyzer;
  auto snap = (*index)->snapshot();
  Status write_status;
  auto composed = digest::compose_digests(
      **store, *snap, analyzer, setup->settings, co, [&](const digest::Digest& d) {
        if (a.dry_run && !a.json)
          fmt::print("{}\t{}\t{} papers\t{}\n", d.subscription.email, d.period, d.paper_ids.size(),
                     d.subject);
        if (!a.eml_dir.empty() && write_status.ok()) {
          std::string name = d.key;
          for (char& c : name)
            if (c == ':' || c == '/') c = '_';
          write_status =
              write_file_durably(std::filesystem::path(a.eml_dir) / (name + ".eml"), d.message);
        }
      });
  if (!composed.ok()) return fail(composed.error());
  if (!write_status.ok()) return fail(write_status.error());
  const auto& c = *composed;
  nlohmann::ordered_json out;
  out["date"] = a.date.empty() ? dates::today_utc() : a.date;
  out["announcement_day"] = c.latest_day;
  out["subscriptions"] = c.subscriptions;
  out["composed"] = c.queued;
  out["already_queued"] = c.already;
  out["no_news"] = c.no_news;
  out["empty"] = c.empty;
  out["compose_seconds"] = c.seconds;
  if (!c.train_ms.empty()) {
    std::vector<double> t = c.train_ms;
    std::sort(t.begin(), t.end());
    out["recommend_models"] = t.size();
    out["train_ms_p50"] = t[t.size() / 2];
    out["train_ms_p95"] = t[std::min(t.size() - 1, t.size() * 95 / 100)];
    out["train_ms_max"] = t.back();
  }
  if (!a.json && !g.quiet)
    fmt::print(stderr,
               "{} digest{} {} for announcement day {} ({} subscriptions: {} already queued, {} "
               "without new announcements, {} with nothing new for them) in {:.2f} s\n",
               c.queued, c.queued == 1 ? "" : "s", a.dry_run ? "composed (dry run)" : "queued",
               c.latest_day.empty() ? "(none)" : c.latest_day, c.subscriptions, c.already,
               c.no_news, c.empty, c.seconds);
  if (a.dry_run || !setup->smtp) {
    if (!a.dry_run && !a.json && !g.quiet)
      fmt::print(stderr,
                 "no --smtp: the outbox keeps the mail until a run with --smtp (or "
                 "`serve --smtp`) sends it\n");
    if (a.json) fmt::print("{}\n", out.dump(2));
    return kOk;
  }
  auto lock = digest::DeliveryLock::try_acquire(g.data_dir);
  if (!lock.ok()) return fail(lock.error());
  if (!*lock) {
    fmt::print(stderr, "paperboy: another process is sending this outbox; queued only\n");
    if (a.json) fmt::print("{}\n", out.dump(2));
    return kOk;
  }
  auto transport = mail::smtp_transport(*setup->smtp);
  if (!transport.ok()) return fail(transport.error());
  digest::DeliverOptions dopt;
  dopt.retry_base_seconds = std::max<std::int64_t>(1, static_cast<std::int64_t>(a.retry_base));
  dopt.wait_seconds = a.wait;
  dopt.on_result = [&](const OutboxMessage& m, const mail::SendResult& r) {
    if (r.outcome != mail::SendOutcome::kSent && !g.quiet)
      fmt::print(stderr, "paperboy: {} to {}: {}{}\n", m.kind, m.recipient, r.error,
                 r.outcome == mail::SendOutcome::kPermanent ? " (address marked bouncing)"
                                                            : " (will retry)");
  };
  auto sent = digest::deliver(**store, **transport, setup->settings, dopt);
  if (!sent.ok()) return fail(sent.error());
  if (auto pruned = digest::prune_outbox(**store, dates::unix_now()); !pruned.ok())
    return fail(pruned.error());
  out["sent"] = sent->sent;
  out["retrying"] = sent->waiting;
  out["bounced"] = sent->bounced;
  out["failed"] = sent->failed;
  out["cancelled"] = sent->cancelled;
  if (a.json) {
    fmt::print("{}\n", out.dump(2));
  } else if (!g.quiet) {
    fmt::print(stderr, "sent {}, waiting to retry {}, bounced {}, given up {}, cancelled {}\n",
               sent->sent, sent->waiting, sent->bounced, sent->failed, sent->cancelled);
  }
  return kOk;
}

int cmd_subscribers_add(const Globals& g, const SubscriberArgs& a) {
  auto setup = mail_setup(g, a.mail);
  if (!setup.ok()) return fail(setup.error());
  if (!mail::valid_email(a.email)) {
    fmt::print(stderr, "paperboy: '{}' is not an e-mail address\n", a.email);
    return kUsage;
  }
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  Subscription s;
  s.email = a.email;
  s.frequency = a.weekly ? "weekly" : "daily";
  s.queries = a.queries;
  s.authors = a.authors;
  s.categories = a.categories;
  if (!a.recommend_user.empty()) {
    auto user = (*store)->find_user(a.recommend_user);
    if (!user.ok()) return fail(user.error());
    if (!*user) {
      fmt::print(stderr, "paperboy: no user {}\n", a.recommend_user);
      return kNotFound;
    }
    s.user_id = (*user)->id;
    s.recommend = true;
  }
  s.top_papers =
      a.top || (s.queries.empty() && s.authors.empty() && s.categories.empty() && !s.recommend);
  const std::int64_t now = std::time(nullptr);
  s.created_at = now;
  auto id = (*store)->upsert_subscription(s);
  if (!id.ok()) return fail(id.error());
  auto saved = (*store)->get_subscription(*id);
  if (!saved.ok()) return fail(saved.error());
  if (!*saved) return fail(Error::internal("the subscription vanished"));
  if (a.confirmed && (*saved)->state != SubscriptionState::kConfirmed) {
    auto st = (*store)->set_subscription_state(*id, SubscriptionState::kConfirmed);
    if (!st.ok()) return fail(st.error());
    (*saved)->state = SubscriptionState::kConfirmed;
  }
  if ((*saved)->state == SubscriptionState::kPending) {
    auto queued = digest::queue_confirmation(**store, **saved, setup->settings, now);
    if (!queued.ok()) return fail(queued.error());
  }
  if (!g.quiet)
    fmt::print("{} {} ({}){}\n", a.email, subscription_state_name((*saved)->state), s.frequency,
               (*saved)->state == SubscriptionState::kPending
                   ? ": a confirmation mail is in the outbox (sent by `digest run --smtp` or "
                     "`serve --smtp`)"
                   : "");
  return kOk;
}

int cmd_subscribers_list(const Globals& g, bool json) {
  auto store = open_store(g, /*read_only=*/true);
  if (!store.ok()) return fail(store.error());
  auto subs = (*store)->subscriptions();
  if (!subs.ok()) return fail(subs.error());
  if (json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& s : *subs) {
      nlohmann::ordered_json j;
      j["id"] = s.id;
      j["email"] = s.email;
      j["state"] = subscription_state_name(s.state);
      j["frequency"] = s.frequency;
      j["top_papers"] = s.top_papers;
      j["queries"] = s.queries;
      j["authors"] = s.authors;
      j["categories"] = s.categories;
      j["recommend"] = s.recommend;
      j["last_digest_day"] = s.last_digest_day;
      arr.push_back(std::move(j));
    }
    fmt::print("{}\n", arr.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    return kOk;
  }
  for (const auto& s : *subs) {
    std::vector<std::string> topics;
    if (s.top_papers) topics.push_back("top papers");
    if (s.recommend) topics.push_back("recommendations");
    for (const auto& q : s.queries) topics.push_back("search:" + q);
    for (const auto& x : s.authors) topics.push_back("author:" + x);
    for (const auto& x : s.categories) topics.push_back("cat:" + x);
    fmt::print("{}\t{}\t{}\tlast {}\t{}\n", s.email, subscription_state_name(s.state), s.frequency,
               s.last_digest_day.empty() ? "-" : s.last_digest_day, fmt::join(topics, "; "));
  }
  if (!g.quiet) fmt::print(stderr, "{} subscriptions\n", subs->size());
  return kOk;
}

int cmd_subscribers_remove(const Globals& g, const std::string& email) {
  auto store = open_store(g);
  if (!store.ok()) return fail(store.error());
  auto found = (*store)->find_subscription(email);
  if (!found.ok()) return fail(found.error());
  if (!*found) {
    fmt::print(stderr, "paperboy: no subscription for {}\n", email);
    return kNotFound;
  }
  auto st = (*store)->remove_subscription(email);
  if (!st.ok()) return fail(st.error());
  if (!g.quiet) fmt::print("removed {}\n", email);
  return kOk;
}

}  // namespace

void add_mail_options(CLI::App* cmd, MailArgs& a, bool with_base_url) {
  cmd->add_option("--smtp", a.smtp,
                  "SMTP server to send through: smtp://host[:port] (STARTTLS per --smtp-tls) or "
                  "smtps://host[:port]");
  cmd->add_option("--smtp-user", a.smtp_user, "SMTP AUTH user name");
  cmd->add_option("--smtp-password-file", a.smtp_password_file,
                  "File holding the SMTP password (or set PAPERBOY_SMTP_PASSWORD)");
  cmd->add_option("--smtp-tls", a.smtp_tls, "STARTTLS: none, try or require")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "try", "require"}));
  cmd->add_option("--smtp-ca", a.smtp_ca, "CA bundle to verify the SMTP server with");
  cmd->add_flag("--smtp-insecure", a.smtp_insecure,
                "Do not verify the SMTP server's certificate (testing only)");
  cmd->add_option("--from", a.from, "Sender of the mail: \"Name <address>\"")
      ->capture_default_str();
  if (with_base_url)
    cmd->add_option("--base-url", a.base_url,
                    "Public URL of the web app, for the links in mail (confirm, unsubscribe, "
                    "papers)")
        ->capture_default_str();
}

Result<MailSetup> mail_setup(const Globals& g, const MailArgs& a) {
  MailSetup out;
  PB_ASSIGN_OR_RETURN(out.settings.from, mail::parse_address(a.from));
  out.settings.base_url = a.base_url;
  while (!out.settings.base_url.empty() && out.settings.base_url.back() == '/')
    out.settings.base_url.pop_back();
  PB_ASSIGN_OR_RETURN(out.settings.secret, digest::load_secret(g.data_dir));
  if (!a.smtp.empty()) {
    mail::SmtpSettings s;
    s.url = a.smtp;
    s.username = a.smtp_user;
    s.tls = a.smtp_tls;
    s.ca_file = a.smtp_ca;
    s.verify_peer = !a.smtp_insecure;
    if (!a.smtp_password_file.empty()) {
      std::ifstream in(a.smtp_password_file);
      if (!in)
        return Error::io(
            fmt::format("cannot read the SMTP password file {}", a.smtp_password_file));
      std::getline(in, s.password);
      s.password = trim_line_ends(s.password);
    } else if (const char* p = std::getenv("PAPERBOY_SMTP_PASSWORD")) {
      s.password = p;
    }
    if (auto t = mail::smtp_transport(s); !t.ok()) return t.error();
    out.smtp = std::move(s);
  }
  return out;
}

std::function<int(const Globals&)> add_mail_commands(CLI::App& app) {
  auto da = std::make_shared<DigestArgs>();
  auto sa = std::make_shared<SubscriberArgs>();
  auto* digestc = app.add_subcommand("digest", "E-mail digests");
  digestc->require_subcommand(1);
  auto* run = digestc->add_subcommand(
      "run",
      "Compose the digests due on a day (arXiv's announcement calendar: no mail without new "
      "announcements, one catch-up mail after a gap) into the outbox, then send the outbox "
      "with --smtp. Safe to run again or after a crash: each digest is queued and sent once");
  run->add_option("--date", da->date, "The run's day, YYYY-MM-DD (default: today, UTC)");
  run->add_flag("--dry-run", da->dry_run,
                "Compose and print what would be sent; queue and send nothing");
  run->add_option("--top", da->top, "Papers per digest")
      ->capture_default_str()
      ->check(CLI::Range(1, 200));
  run->add_option("--eml", da->eml_dir, "Also write each composed message to DIR/KEY.eml");
  run->add_option("--only", da->only, "Only these subscribers (e-mail addresses)");
  run->add_option("--wait", da->wait,
                  "Keep sending while a retry falls due within this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  run->add_option("--retry-base", da->retry_base,
                  "Seconds before the first retry of a transient failure (doubling, up to 6 h)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  run->add_flag("--json", da->json, "Print the run's counts as JSON");
  add_mail_options(run, da->mail, true);
  add_env_names(run);

  auto* subs = app.add_subcommand("subscribers", "Manage e-mail subscriptions");
  subs->require_subcommand(1);
  auto* add = subs->add_subcommand(
      "add",
      "Add (or update) a subscription. Without --confirmed it stays pending and a "
      "confirmation mail goes to the address (double opt-in)");
  add->add_option("email", sa->email, "E-mail address")->required();
  auto* daily = add->add_flag("--daily", sa->daily, "A digest on each announcement day (default)");
  add->add_flag("--weekly", sa->weekly, "One digest a week")->excludes(daily);
  add->add_option("--query", sa->queries, "A saved search (repeatable)");
  add->add_option("--author", sa->authors, "A followed author (repeatable)");
  add->add_option("--category", sa->categories, "A followed category, e.g. cs.CL (repeatable)");
  add->add_flag("--top", sa->top,
                "Include the day's top papers (the default when no other topic is given)");
  add->add_option("--recommend-for", sa->recommend_user,
                  "Include papers like this user's library (saved and upvoted papers)");
  add->add_flag("--confirmed", sa->confirmed,
                "Skip the confirmation mail (the operator vouches for the address)");
  add_mail_options(add, sa->mail, true);
  add_env_names(add);
  auto* list = subs->add_subcommand("list", "List subscriptions");
  list->add_flag("--json", sa->json, "JSON array");
  auto* remove = subs->add_subcommand("remove", "Delete a subscription and its outbox mail");
  remove->add_option("email", sa->email, "E-mail address")->required();

  return [=](const Globals& g) -> int {
    if (run->parsed()) return cmd_digest_run(g, *da);
    if (add->parsed()) return cmd_subscribers_add(g, *sa);
    if (list->parsed()) return cmd_subscribers_list(g, sa->json);
    if (remove->parsed()) return cmd_subscribers_remove(g, sa->email);
    return -1;
  };
}

}  // namespace pb::cli
