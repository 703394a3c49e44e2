// Signed links in mail, and the confirmation mail.

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

#include "core/files.hpp"

#include "core/ascii.hpp"
#include "digest/digest.hpp"
#include "server/html.hpp"
#include "server/security.hpp"

namespace pb::digest {

namespace {

constexpr std::int64_t kConfirmLifetime = 7 * 86400;

std::string_view purpose_name(LinkPurpose p) {
  switch (p) {
    case LinkPurpose::kConfirm:
      return "confirm";
    case LinkPurpose::kUnsubscribe:
      return "unsubscribe";
    case LinkPurpose::kPreferences:
      return "preferences";
  }
  return "";
}

bool parse_int(std::string_view s, std::int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string read_key(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s(std::istreambuf_iterator<char>(in), {});
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> load_secret(const std::filesystem::path& data_dir) {
  const auto path = data_dir / "secret.key";
  if (std::string s = read_key(path); s.size() >= 32) return s;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string key = server::random_token(32);
  const auto tmp = data_dir / fmt::format("secret.key.{}.tmp", ::getpid());
  PB_RETURN_IF_ERROR(write_file_durably(tmp, key + "\n"));
  ::chmod(tmp.c_str(), 0600);
  // link() publishes the key only if there is none yet: of two processes starting at once,
  // both end up with the first one's key.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::filesystem::remove(tmp, ec);
    if (err != EEXIST)
      return Error::io(fmt::format("cannot create {}: {}", path.string(), std::strerror(err)));
    if (std::string s = read_key(path); s.size() >= 32) return s;
    // A damaged key (too short): replace it; links signed with it stop working.
    PB_RETURN_IF_ERROR(write_file_durably(path, key + "\n"));
    ::chmod(path.c_str(), 0600);
    return key;
  }
  std::filesystem::remove(tmp, ec);
  return key;
}

std::string make_link_token(const MailSettings& m, LinkPurpose purpose, const Subscription& sub,
                            std::int64_t now) {
  const std::int64_t expires = purpose == LinkPurpose::kConfirm ? now + kConfirmLifetime : 0;
  return server::make_signed_token(m.secret, fmt::format("{}|{}|{}|{}", purpose_name(purpose),
                                                         sub.id, ascii_lower(sub.email), expires));
}

Result<Subscription> open_link_token(const MailSettings& m, LinkPurpose purpose,
                                     std::string_view token, Store& store, std::int64_t now) {
  const Error bad = Error::invalid_input("this link is not valid (any more)");
  auto payload = server::open_signed_token(m.secret, token);
  if (!payload) return bad;
  // purpose|id|email|expires: an address may hold '|', so the id is split off from the left
  // and the expiry from the right.
  const std::string& p = *payload;
  const size_t a = p.find('|');
  const size_t b = a == std::string::npos ? a : p.find('|', a + 1);
  const size_t c = p.rfind('|');
  if (b == std::string::npos || c <= b) return bad;
  std::int64_t id = 0, expires = 0;
  if (std::string_view(p).substr(0, a) != purpose_name(purpose) ||
      !parse_int(std::string_view(p).substr(a + 1, b - a - 1), id) ||
      !parse_int(std::string_view(p).substr(c + 1), expires))
    return bad;
  if (expires != 0 && expires < now) return bad;
  PB_ASSIGN_OR_RETURN(auto sub, store.get_subscription(id));
  if (!sub || ascii_lower(sub->email) != std::string_view(p).substr(b + 1, c - b - 1)) return bad;
  return std::move(*sub);
}

std::string link_url(const MailSettings& m, LinkPurpose purpose, const Subscription& sub,
                     std::int64_t now) {
  static constexpr std::string_view kPaths[] = {"/subscription/confirm", "/unsubscribe",
                                                "/subscription"};
  return fmt::format("{}{}?t={}", m.base_url, kPaths[static_cast<int>(purpose)],
                     make_link_token(m, purpose, sub, now));
}

Result<bool> queue_confirmation(Store& store, const Subscription& sub, const MailSettings& m,
                                std::int64_t now) {
  const std::string confirm = link_url(m, LinkPurpose::kConfirm, sub, now);
  const std::string prefs = link_url(m, LinkPurpose::kPreferences, sub, now);
  mail::Message msg;
  msg.from = m.from;
  msg.to = {"", sub.email};
  msg.subject = fmt::format("Confirm your {} digest", m.site_name);
  msg.date = now;
  const std::string key = fmt::format("confirm:{}:{}", sub.id, now / 3600);
  msg.message_id = fmt::format("{}.{}@{}", server::sha256_hex(key).substr(0, 24), "confirm",
                               m.from.email.substr(m.from.email.find('@') + 1));
  msg.headers.push_back({"Auto-Submitted", "auto-generated"});
  msg.text = fmt::format(
      "Someone (we hope you) asked for a {} {} digest of new research papers at this "
      "address.\n\nTo start it, confirm here:\n{}\n\nThe link works for a week. If you did not "
      "ask for this, ignore this mail: nothing more will come.\n\nChange what you get: {}\n",
      m.site_name, sub.frequency, confirm, prefs);
  std::string html;
  html += "<!doctype html><html><body style=\"font-family:sans-serif;max-width:40em\">";
  html += fmt::format(
      "<p>Someone (we hope you) asked for a {} {} digest of new research papers "
      "at this address.</p>",
      server::escape_html(m.site_name), server::escape_html(sub.frequency));
  html += fmt::format(
      "<p><a href=\"{}\" style=\"display:inline-block;padding:.5em 1em;background:#1a5fb4;"
      "color:#fff;text-decoration:none;border-radius:4px\">Confirm my subscription</a></p>",
      server::escape_html(confirm));
  html +=
      "<p>The link works for a week. If you did not ask for this, ignore this mail: "
      "nothing more will come.</p></body></html>";
  msg.html = std::move(html);
  PB_ASSIGN_OR_RETURN(std::string rendered, mail::render(msg));
  OutboxMessage out;
  out.key = key;
  out.subscription_id = sub.id;
  out.kind = "confirm";
  out.recipient = sub.email;
  out.message = std::move(rendered);
  out.next_attempt_at = now;
  out.created_at = now;
  return store.enqueue_mail(out, nullptr);
}

}  // namespace pb::digest
