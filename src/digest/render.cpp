// A digest as mail: plain text and HTML bodies with the same content, and the headers that
// mail clients use for one-click unsubscribe (RFC 2369, RFC 8058).

#include <fmt/format.h>

#include "core/dates.hpp"
#include "core/utf8.hpp"
#include "digest/digest.hpp"
#include "server/html.hpp"
#include "server/security.hpp"
#include "text/tex.hpp"

namespace pb::digest {

namespace {

using server::escape_html;

std::string authors_line(const Paper& p) {
  std::string out;
  const size_t shown = std::min<size_t>(p.authors.size(), 3);
  for (size_t i = 0; i < shown; ++i) {
    if (i) out += ", ";
    out += text::tex_to_text(p.authors[i]);
  }
  if (p.authors.size() > shown) out += " et al.";
  return out;
}

// The abstract's first sentences, about `max` bytes, cut at a space.
std::string summary(const Paper& p, size_t max) {
  std::string t = text::tex_to_text(p.abstract);
  for (char& c : t)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (t.size() <= max) return t;
  std::string_view cut = utf8::truncate(t, max);
  if (const size_t sp = cut.rfind(' '); sp != std::string_view::npos && sp > max / 2)
    cut = cut.substr(0, sp);
  return std::string(cut) + "\u2026";
}

std::string long_day(const std::string& day) {
  static constexpr const char* kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  if (!dates::valid_day(day)) return day;
  const int month = std::stoi(day.substr(5, 2));
  return fmt::format("{} {} {} {}", kDays[dates::weekday(day)], std::stoi(day.substr(8, 2)),
                     kMonths[month - 1], day.substr(0, 4));
}

std::string domain_of(const std::string& email) {
  const size_t at = email.find('@');
  return at == std::string::npos ? "localhost" : email.substr(at + 1);
}

}  // namespace

Status render_digest(Digest& d, const MailSettings& m, std::int64_t now) {
  const Subscription& sub = d.subscription;
  const bool weekly = sub.frequency == "weekly";
  const std::string unsubscribe = link_url(m, LinkPurpose::kUnsubscribe, sub, now);
  const std::string prefs = link_url(m, LinkPurpose::kPreferences, sub, now);
  const std::string covered = d.first_day == d.last_day
                                  ? long_day(d.last_day)
                                  : fmt::format("{} to {}", d.first_day, d.last_day);
  const size_t n = d.paper_ids.size();
  const std::string heading = fmt::format("{} new paper{} for {}", n, n == 1 ? "" : "s", covered);

  const DigestPaper* first = nullptr;
  for (const auto& s : d.sections)
    if (!s.papers.empty()) {
      first = &s.papers.front();
      break;
    }
  std::string lead = first ? first->title_text : std::string();
  if (lead.size() > 90) lead = std::string(utf8::truncate(lead, 87)) + "\u2026";
  d.subject = n == 1 ? fmt::format("{} {}: {}", m.site_name, weekly ? "weekly" : "daily", lead)
                     : fmt::format("{} {}: {} and {} more", m.site_name,
                                   weekly ? "weekly" : "daily", lead, n - 1);

  // --- plain text
  std::string text = fmt::format("{}\n\n", heading);
  std::string html = fmt::format(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>{}</title></head>"
      "<body style=\"margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,"
      "sans-serif;color:#1f2328;background:#fff\"><div style=\"max-width:40em;margin:auto\">"
      "<p style=\"color:#57606a\">{}</p>",
      escape_html(d.subject), escape_html(heading));
  size_t number = 0;
  for (const auto& s : d.sections) {
    text +=
        fmt::format("{}\n{}\n\n", s.title, std::string(std::min<size_t>(s.title.size(), 60), '='));
    html += fmt::format(
        "<h2 style=\"font-size:1.1em;border-bottom:1px solid #d0d7de;"
        "padding-bottom:4px\">{}</h2>",
        escape_html(s.title));
    for (const auto& p : s.papers) {
      ++number;
      const std::string url = fmt::format("{}/papers/{}", m.base_url, p.paper.id);
      const std::string meta =
          fmt::format("{}{}{}{}", authors_line(p.paper),
                      p.paper.primary_category.empty() ? "" : " \u00b7 " + p.paper.primary_category,
                      p.upvotes > 0 ? fmt::format(" \u00b7 \u25b2 {}", p.upvotes) : "",
                      " \u00b7 arXiv:" + p.paper.id);
      const std::string abstract = summary(p.paper, 300);
      text += fmt::format("{}. {}\n   {}\n   {}\n   {}\n   Why: {}\n\n", number, p.title_text, meta,
                          abstract, url, p.reason);
      html += fmt::format(
          "<div style=\"margin:0 0 18px\"><a href=\"{}\" style=\"font-weight:600;font-size:1.05em;"
          "color:#0b57d0;text-decoration:none\">{}</a><div style=\"color:#57606a;font-size:.9em\">"
          "{}</div><div style=\"font-size:.95em;margin-top:4px\">{}</div>"
          "<div style=\"color:#57606a;font-size:.85em;margin-top:2px\">Why: {} \u00b7 "
          "<a href=\"https://arxiv.org/pdf/{}\" style=\"color:#57606a\">PDF</a></div></div>",
          escape_html(url), escape_html(p.title_text), escape_html(meta), escape_html(abstract),
          escape_html(p.reason), escape_html(p.paper.id));
    }
  }
  const std::string why =
      fmt::format("You get this {} digest from {} because {} subscribed at {}.",
                  weekly ? "weekly" : "daily", m.site_name, sub.email, m.base_url);
  text +=
      fmt::format("-- \n{}\nChange what you get: {}\nUnsubscribe: {}\n", why, prefs, unsubscribe);
  html += fmt::format(
      "<hr style=\"border:0;border-top:1px solid #d0d7de\"><p style=\"color:#57606a;"
      "font-size:.85em\">{} <a href=\"{}\">Change what you get</a> \u00b7 <a href=\"{}\">"
      "Unsubscribe</a></p></div></body></html>",
      escape_html(why), escape_html(prefs), escape_html(unsubscribe));

  mail::Message msg;
  msg.from = m.from;
  msg.to = {"", sub.email};
  msg.subject = d.subject;
  msg.date = now;
  msg.message_id =
      fmt::format("{}.digest@{}", server::sha256_hex(d.key).substr(0, 32), domain_of(m.from.email));
  msg.headers = {
      {"List-Id", fmt::format("{} digest <digest.{}>", m.site_name, domain_of(m.from.email))},
      {"List-Unsubscribe", "<" + unsubscribe + ">"},
      {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
      {"Auto-Submitted", "auto-generated"},
  };
  msg.text = std::move(text);
  msg.html = std::move(html);
  PB_ASSIGN_OR_RETURN(d.message, mail::render(msg));
  return Status();
}

}  // namespace pb::digest
