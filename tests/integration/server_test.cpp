// HTTP-level tests of `paperboy serve`: a real server on 127.0.0.1 (in-process, port 0) over
// a real SQLite store, driven by a real HTTP client. Every route: status codes, JSON shape,
// escaping of hostile input, CSRF, sessions, rate limits, size limits, feeds, metrics.

#include "server/server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <pugixml.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <thread>

#include "../model_util.hpp"
#include "../test_support.hpp"
#include "digest/digest.hpp"
#include "engine/lexical_search.hpp"
#include "engine/vectors.hpp"
#include "index/lexical/index.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

using Json = nlohmann::json;
using pb::testing::TempDir;

Paper paper(std::string id, std::string title, std::vector<std::string> authors, std::string cat,
            std::string day, std::string abstract = "") {
  Paper p;
  p.id = std::move(id);
  p.version = 1;
  p.title = std::move(title);
  p.abstract = abstract.empty() ? "An abstract about " + p.title + "." : std::move(abstract);
  p.authors = std::move(authors);
  p.categories = {cat};
  p.primary_category = cat;
  p.submitted = day;
  p.announced = day;
  p.versions = {{1, day}};
  return p;
}

void listed(Paper& p, const std::string& day, std::int64_t upvotes) {
  p.daily.push_back({day, "huggingface", "hf-user"});
  p.signals.push_back({"upvotes", upvotes, "huggingface", day + "T12:00:00Z"});
}

constexpr const char* kHostileTitle = "<script>alert(1)</script> & \"quoted\" 'title'";
constexpr const char* kHostileAuthor = "\"><img src=x onerror=alert(2)>";

// A browser of sorts: keeps cookies, reads the CSRF token from the last page.
class Browser {
 public:
  explicit Browser(int port) : client_("127.0.0.1", port) { client_.set_read_timeout(30, 0); }

  httplib::Result get(const std::string& path, httplib::Headers extra = {}) {
    auto r = client_.Get(path.c_str(), with_cookies(std::move(extra)));
    remember(r);
    return r;
  }

  httplib::Result post(const std::string& path, httplib::Params form, httplib::Headers extra = {}) {
    auto r = client_.Post(path.c_str(), with_cookies(std::move(extra)), form);
    remember(r);
    return r;
  }

  // A form post carrying the CSRF token of the last page seen.
  httplib::Result submit(const std::string& path, httplib::Params form,
                         httplib::Headers extra = {}) {
    form.emplace("csrf", csrf_);
    return post(path, std::move(form), std::move(extra));
  }

  const std::string& csrf() const { return csrf_; }
  std::map<std::string, std::string>& cookies() { return cookies_; }
  std::vector<std::string> set_cookie_headers;

 private:
  httplib::Headers with_cookies(httplib::Headers h) {
    std::string c;
    for (const auto& [k, v] : cookies_) c += (c.empty() ? "" : "; ") + k + "=" + v;
    if (!c.empty()) h.emplace("Cookie", c);
    return h;
  }
  void remember(const httplib::Result& r) {
    if (!r) return;
    for (auto [it, end] = r->headers.equal_range("Set-Cookie"); it != end; ++it) {
      set_cookie_headers.push_back(it->second);
      std::string kv = it->second.substr(0, it->second.find(';'));
      size_t eq = kv.find('=');
      if (eq == std::string::npos) continue;
      std::string value = kv.substr(eq + 1);
      if (value.empty()) {
        cookies_.erase(kv.substr(0, eq));
      } else {
        cookies_[kv.substr(0, eq)] = value;
      }
    }
    std::smatch m;
    static const std::regex kCsrf(R"re(name="csrf" value="([^"]+)")re");
    if (std::regex_search(r->body, m, kCsrf)) csrf_ = m[1];
  }
  httplib::Client client_;
  std::map<std::string, std::string> cookies_;
  std::string csrf_;
};

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    {
      StoreOptions so;
      so.data_dir = dir_->path() / "data";
      auto store = open_sqlite_store(so);
      ASSERT_TRUE(store.ok()) << store.error().message();
      std::vector<Paper> papers;
      papers.push_back(paper("2401.00001", "Diffusion Models for Image Synthesis",
                             {"Alice Smith", "Bob Jones"}, "cs.CV", "2024-01-03"));
      listed(papers.back(), "2024-01-03", 50);
      papers.push_back(paper("2401.00002", "Attention with $O(n^2)$ Cost Revisited",
                             {"Carol White"}, "cs.CL", "2024-01-03",
                             "We study attention whose cost is $O(n^2)$ in the length $n$."));
      listed(papers.back(), "2024-01-03", 10);
      papers.push_back(paper("2401.00003", kHostileTitle, {kHostileAuthor, "Alice Smith"}, "cs.LG",
                             "2024-01-04",
                             "Diffusion </p><script>alert(3)</script> of hostile text."));
      listed(papers.back(), "2024-01-04", 5);
      for (int i = 4; i <= 12; ++i) {
        std::string day = i % 2 ? "2024-01-04" : "2024-01-05";
        papers.push_back(paper(fmt_id(i),
                               "Filler paper number " + std::to_string(i) +
                                   (i % 3 == 0 ? " on diffusion" : " on language"),
                               {"Dan Brown"}, i % 2 ? "cs.CL" : "cs.CV", day));
      }
      ASSERT_TRUE((*store)->upsert(papers).ok());
    }
    server::ServeOptions o;
    o.data_dir = dir_->path() / "data";
    o.port = 0;
    o.threads = 8;
    o.access_log = (dir_->path() / "access.log").string();
    o.log = [](const std::string&) {};
    auto srv = server::Server::open(o);
    ASSERT_TRUE(srv.ok()) << srv.error().message();
    server_ = srv->release();
    auto port = server_->bind();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    thread_ = new std::thread([] { (void)server_->run(); });
  }

  static void TearDownTestSuite() {
    server_->stop();
    thread_->join();
    delete thread_;
    delete server_;
    delete dir_;
  }

  static std::string fmt_id(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "2401.%05d", i);
    return buf;
  }

  static Json json_of(const httplib::Result& r) {
    return Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  }

  // A signed-up, signed-in browser with a unique name.
  Browser signed_in(const std::string& name) {
    Browser b(port_);
    b.get("/signup");
    auto r = b.submit(
        "/signup",
        {{"name", name}, {"email", name + "@example.org"}, {"password", "correct horse battery"}});
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 303) << r->body;
    b.get("/");  // the session's CSRF token
    return b;
  }

  static TempDir* dir_;
  static server::Server* server_;
  static std::thread* thread_;
  static int port_;
};

TempDir* ServerTest::dir_ = nullptr;
server::Server* ServerTest::server_ = nullptr;
std::thread* ServerTest::thread_ = nullptr;
int ServerTest::port_ = 0;

// Data-driven: every page and endpoint answers with the right status and content type.
TEST_F(ServerTest, EveryRouteAnswers) {
  struct Case {
    const char* path;
    int status;
    const char* type;  // prefix of Content-Type
  };
  const Case cases[] = {
      {"/", 200, "text/html"},
      {"/papers", 200, "text/html"},
      {"/papers?date=2024-01-03", 200, "text/html"},
      {"/papers?date=2024-01-03&view=week", 200, "text/html"},
      {"/papers?date=2024-01-03&view=month&sort=recent", 200, "text/html"},
      {"/papers?date=2024-01-04&all=1&cat=cs.CL", 200, "text/html"},
      {"/papers?date=2024-01-06", 200, "text/html"},  // a Saturday: nothing listed
      {"/papers?date=2024-13-01", 400, "text/html"},
      {"/papers?view=year", 400, "text/html"},
      {"/trending", 200, "text/html"},
      {"/trending?sort=upvotes", 200, "text/html"},
      {"/trending?sort=hot", 400, "text/html"},
      {"/search", 200, "text/html"},
      {"/search?q=diffusion", 200, "text/html"},
      {"/search?q=diffusion&mode=semantic", 200, "text/html"},  // no vectors: lexical + note
      {"/search?q=diffusion&mode=nonsense", 400, "text/html"},
      {"/papers/2401.00001", 200, "text/html"},
      {"/papers/arXiv:2401.00001v2", 200, "text/html"},
      {"/papers/2401.99999", 404, "text/html"},
      {"/authors/Alice%20Smith", 200, "text/html"},
      {"/authors/Nobody%20Here", 404, "text/html"},
      {"/about", 200, "text/html"},
      {"/login", 200, "text/html"},
      {"/signup", 200, "text/html"},
      {"/library", 303, ""},
      {"/account", 303, ""},
      {"/static/app.css", 200, "text/css"},
      {"/static/app.js", 200, "text/javascript"},
      {"/static/nothing.css", 404, "text/html"},
      {"/no/such/page", 404, "text/html"},
      {"/api/openapi.json", 200, "application/json"},
      {"/api/papers/search?q=diffusion", 200, "application/json"},
      {"/api/papers/search", 400, "application/json"},
      {"/api/papers/search?q=x&limit=0", 400, "application/json"},
      {"/api/papers/search?q=x&limit=abc", 400, "application/json"},
      {"/api/papers/search?q=x&mode=vector", 400, "application/json"},
      {"/api/daily_papers", 200, "application/json"},
      {"/api/daily_papers?date=2024-01-03&sort=trending", 200, "application/json"},
      {"/api/daily_papers?date=yesterday", 400, "application/json"},
      {"/api/papers/2401.00001", 200, "application/json"},
      {"/api/papers/2401.99999", 404, "application/json"},
      {"/api/papers/2401.00001/similar", 200, "application/json"},
      {"/api/papers/2401.99999/similar", 404, "application/json"},
      {"/api/trending", 200, "application/json"},
      {"/api/nothing", 404, "application/json"},
      {"/feeds/daily.rss", 200, "application/rss+xml"},
      {"/feeds/daily.atom", 200, "application/atom+xml"},
      {"/feeds/trending.rss", 200, "application/rss+xml"},
      {"/feeds/search.atom?q=diffusion", 200, "application/atom+xml"},
      {"/feeds/search.rss", 400, "text/html"},
      {"/healthz", 200, "application/json"},
      {"/metrics", 200, "text/plain"},
  };
  Browser b(port_);
  for (const auto& c : cases) {
    auto r = b.get(c.path);
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path << "\n" << r->body.substr(0, 300);
    EXPECT_EQ(r->get_header_value("Content-Type").rfind(c.type, 0), 0u)
        << c.path << ": " << r->get_header_value("Content-Type");
    if (std::string(c.type) == "application/json") {
      auto j = json_of(r);
      EXPECT_FALSE(j.is_discarded()) << c.path;
      if (c.status >= 400) {
        EXPECT_EQ(j.value("status", 0), c.status) << c.path;
        EXPECT_FALSE(j.value("error", "").empty()) << c.path;
      }
    }
  }
}

TEST_F(ServerTest, ApiUsesHuggingFaceFieldNames) {
  Browser b(port_);
  auto r = b.get("/api/papers/2401.00001");
  ASSERT_EQ(r->status, 200);
  auto p = json_of(r);
  EXPECT_EQ(p["id"], "2401.00001");
  EXPECT_EQ(p["title"], "Diffusion Models for Image Synthesis");
  EXPECT_TRUE(p["summary"].is_string());
  EXPECT_EQ(p["authors"][0]["name"], "Alice Smith");
  EXPECT_EQ(p["upvotes"], 50);
  EXPECT_EQ(p["publishedAt"], "2024-01-03");
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "*");

  auto daily = json_of(b.get("/api/daily_papers?date=2024-01-03"));
  ASSERT_TRUE(daily.is_array());
  ASSERT_EQ(daily.size(), 2u);
  EXPECT_EQ(daily[0]["paper"]["id"], "2401.00001");  // most upvotes first
  EXPECT_EQ(daily[1]["paper"]["id"], "2401.00002");
  EXPECT_EQ(daily[0]["title"], daily[0]["paper"]["title"]);
  EXPECT_EQ(daily[0]["submittedBy"]["name"], "hf-user");

  auto week = json_of(b.get("/api/daily_papers?date=2024-01-05&view=week"));
  EXPECT_EQ(week.size(), 3u);  // Monday 1 to Sunday 7: listings of the 3rd and the 4th

  auto all = json_of(b.get("/api/daily_papers?date=2024-01-04&all=1&cat=cs.CL"));
  ASSERT_FALSE(all.empty());
  for (const auto& it : all) EXPECT_EQ(it["paper"]["primaryCategory"], "cs.CL");

  auto search = json_of(b.get("/api/papers/search?q=diffusion&limit=3"));
  ASSERT_EQ(search.size(), 3u);
  EXPECT_TRUE(search[0]["paper"]["id"].is_string());
  EXPECT_GT(search[0]["score"].get<double>(), 0);
  EXPECT_NE(search[0]["highlight"].get<std::string>().find("<mark>"), std::string::npos);

  auto similar = json_of(b.get("/api/papers/2401.00001/similar?limit=5"));
  ASSERT_TRUE(similar.is_array());
  for (const auto& it : similar) EXPECT_NE(it["paper"]["id"], "2401.00001");

  auto trending = json_of(b.get("/api/trending"));
  ASSERT_EQ(trending.size(), 3u);
  EXPECT_EQ(trending[0]["paper"]["id"], "2401.00001");
  EXPECT_GT(trending[0]["trendingScore"].get<double>(), trending[1]["trendingScore"].get<double>());
}

TEST_F(ServerTest, OpenApiDocumentDescribesEveryApiRoute) {
  Browser b(port_);
  auto doc = json_of(b.get("/api/openapi.json"));
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  for (const char* p : {"/api/papers/search", "/api/daily_papers", "/api/trending",
                        "/api/papers/{id}", "/api/papers/{id}/similar"})
    EXPECT_TRUE(doc["paths"].contains(p)) << p;
}

TEST_F(ServerTest, CorsPreflightForTheApi) {
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Options("/api/papers/search", {{"Origin", "https://elsewhere.example"},
                                            {"Access-Control-Request-Method", "GET"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(r->get_header_value("Access-Control-Allow-Methods").find("GET"), std::string::npos);
}

TEST_F(ServerTest, HostileStringsAreEscapedEverywhere) {
  Browser b(port_);
  for (const char* path : {"/papers/2401.00003", "/papers?date=2024-01-04", "/search?q=hostile",
                           "/authors/Alice%20Smith", "/trending"}) {
    auto r = b.get(path);
    ASSERT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body.find("<script>alert"), std::string::npos) << path;
    EXPECT_EQ(r->body.find("<img src=x"), std::string::npos) << path;
    EXPECT_EQ(r->body.find("</p><script>"), std::string::npos) << path;
  }
  auto page = b.get("/papers/2401.00003");
  EXPECT_NE(page->body.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"),
            std::string::npos);
  // A query is reflected into the search box and the title, escaped.
  auto q = b.get("/search?q=%22%3E%3Cscript%3Ealert(9)%3C/script%3E");
  ASSERT_EQ(q->status, 200);
  EXPECT_EQ(q->body.find("<script>alert(9)"), std::string::npos);
  EXPECT_NE(q->body.find("&quot;&gt;&lt;script&gt;alert(9)"), std::string::npos);
  // JSON carries the exact strings, validly encoded.
  auto j = json_of(b.get("/api/papers/2401.00003"));
  EXPECT_EQ(j["title"], kHostileTitle);
  EXPECT_EQ(j["authors"][0]["name"], kHostileAuthor);
  // Feeds stay well-formed XML with the exact title.
  auto feed = b.get("/feeds/daily.atom?date=2024-01-04");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(feed->body.c_str())) << feed->body.substr(0, 300);
  bool found = false;
  for (auto e : doc.child("feed").children("entry"))
    found = found || std::string(e.child_value("title")) == kHostileTitle;
  EXPECT_TRUE(found);
  // Security headers on pages.
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
}

TEST_F(ServerTest, FeedsAreValidRssAndAtom) {
  Browser b(port_);
  auto rss = b.get("/feeds/daily.rss?date=2024-01-03");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(rss->body.c_str()));
  auto channel = doc.child("rss").child("channel");
  ASSERT_TRUE(channel);
  std::vector<std::string> links;
  for (auto item : channel.children("item")) links.push_back(item.child_value("link"));
  ASSERT_EQ(links.size(), 2u);
  EXPECT_NE(links[0].find("/papers/2401.00001"), std::string::npos);
  auto search = b.get("/feeds/search.rss?q=diffusion");
  pugi::xml_document sdoc;
  ASSERT_TRUE(sdoc.load_string(search->body.c_str()));
  EXPECT_GE(std::distance(sdoc.child("rss").child("channel").children("item").begin(),
                          sdoc.child("rss").child("channel").children("item").end()),
            3);
}

TEST_F(ServerTest, SignUpLogInLogOut) {
  Browser b(port_);
  b.get("/signup");
  ASSERT_FALSE(b.csrf().empty());
  auto r = b.submit("/signup", {{"name", "ada"},
                                {"email", "ada@example.org"},
                                {"password", "correct horse battery"},
                                {"next", "/about"}});
  ASSERT_EQ(r->status, 303) << r->body;
  EXPECT_EQ(r->get_header_value("Location"), "/about");
  const std::string cookie = b.set_cookie_headers.back();
  EXPECT_NE(cookie.find("pb_session="), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain HTTP
  auto home = b.get("/account");
  ASSERT_EQ(home->status, 200);
  EXPECT_NE(home->body.find("ada@example.org"), std::string::npos);

  // The same name (any case) or e-mail again: a clear conflict.
  Browser other(port_);
  other.get("/signup");
  auto dup = other.submit(
      "/signup",
      {{"name", "ADA"}, {"email", "someone@example.org"}, {"password", "correct horse battery"}});
  EXPECT_EQ(dup->status, 409);
  EXPECT_NE(dup->body.find("taken"), std::string::npos);
  auto weak = other.submit(
      "/signup", {{"name", "bob2"}, {"email", "bob2@example.org"}, {"password", "short"}});
  EXPECT_EQ(weak->status, 400);

  // Log out: the old session cookie stops working.
  const std::string session = b.cookies()["pb_session"];
  auto out = b.submit("/logout", {});
  EXPECT_EQ(out->status, 303);
  Browser replay(port_);
  replay.cookies()["pb_session"] = session;
  EXPECT_EQ(replay.get("/account")->status, 303);

  // Log in again, by name or e-mail; a wrong password is refused.
  Browser c(port_);
  c.get("/login");
  EXPECT_EQ(c.submit("/login", {{"name", "ada"}, {"password", "wrong password"}})->status, 401);
  auto ok =
      c.submit("/login", {{"name", "ada@example.org"}, {"password", "correct horse battery"}});
  EXPECT_EQ(ok->status, 303);
  EXPECT_EQ(c.get("/account")->status, 200);
}

TEST_F(ServerTest, SecureCookiesBehindTls) {
  Browser b(port_);
  b.get("/signup", {{"X-Forwarded-Proto", "https"}});
  auto r = b.submit("/signup",
                    {{"name", "tls"}, {"email", "tls@example.org"}, {"password", "long enough pw"}},
                    {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(r->status, 303);
  EXPECT_NE(b.set_cookie_headers.back().find("; Secure"), std::string::npos);
}

TEST_F(ServerTest, StateChangingFormsNeedTheCsrfToken) {
  Browser b = signed_in("csrf-user");
  // No token, a wrong token, a token from another visitor: all refused.
  EXPECT_EQ(b.post("/papers/2401.00002/upvote", {})->status, 403);
  EXPECT_EQ(b.post("/papers/2401.00002/upvote", {{"csrf", "AAAAAAAAAAAAAAAAAAAAAAAA"}})->status,
            403);
  Browser stranger(port_);
  stranger.get("/");
  EXPECT_EQ(b.post("/papers/2401.00002/upvote", {{"csrf", stranger.csrf()}})->status, 403);
  // The right token from another site's page: refused by the Origin check.
  EXPECT_EQ(b.submit("/papers/2401.00002/upvote", {}, {{"Origin", "https://evil.example"}})->status,
            403);
  // Anonymous forms too (double-submit cookie).
  Browser anon(port_);
  EXPECT_EQ(anon.post("/login", {{"name", "x"}, {"password", "y"}})->status, 403);
  // Nothing was changed by the refused requests.
  auto p = json_of(b.get("/api/papers/2401.00002"));
  EXPECT_EQ(p["upvotes"], 10);
}

TEST_F(ServerTest, UpvoteOncePerUserAndUndo) {
  Browser b = signed_in("voter");
  auto before = json_of(b.get("/api/papers/2401.00002"))["upvotes"].get<int>();
  auto up = b.submit("/papers/2401.00002/upvote", {{"up", "1"}}, {{"Accept", "application/json"}});
  ASSERT_EQ(up->status, 200) << up->body;
  auto j = json_of(up);
  EXPECT_EQ(j["upvoted"], true);
  EXPECT_EQ(j["upvotes"], before + 1);
  // Voting again does not count twice.
  j = json_of(
      b.submit("/papers/2401.00002/upvote", {{"up", "1"}}, {{"Accept", "application/json"}}));
  EXPECT_EQ(j["upvotes"], before + 1);
  // The page shows the vote as pressed.
  auto page = b.get("/papers/2401.00002");
  EXPECT_NE(page->body.find("aria-pressed=\"true\""), std::string::npos);
  // A toggle (no "up" field) undoes it; a plain form post redirects back.
  auto undo = b.submit("/papers/2401.00002/upvote", {});
  EXPECT_EQ(undo->status, 303);
  EXPECT_EQ(json_of(b.get("/api/papers/2401.00002"))["upvotes"], before);
  // Anonymous: asked to log in.
  Browser anon(port_);
  anon.get("/");
  EXPECT_EQ(anon.submit("/papers/2401.00002/upvote", {}, {{"Accept", "application/json"}})->status,
            401);
  auto redirect = anon.submit("/papers/2401.00002/upvote", {});
  EXPECT_EQ(redirect->status, 303);
  EXPECT_EQ(redirect->get_header_value("Location").rfind("/login?next=", 0), 0u);
  // Unknown paper.
  EXPECT_EQ(b.submit("/papers/2401.99999/upvote", {})->status, 404);
}

TEST_F(ServerTest, LocalVotesMoveTrending) {
  Browser b = signed_in("trender");
  auto before = json_of(b.get("/api/trending"));
  // A fresh local vote outweighs imported upvotes from long ago.
  b.submit("/papers/2401.00004/upvote", {{"up", "1"}}, {{"Accept", "application/json"}});
  auto after = json_of(b.get("/api/trending"));
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after[0]["paper"]["id"], "2401.00004");
  b.submit("/papers/2401.00004/upvote", {{"up", "0"}}, {{"Accept", "application/json"}});
  EXPECT_EQ(json_of(b.get("/api/trending"))[0]["paper"]["id"], before[0]["paper"]["id"]);
}

TEST_F(ServerTest, LibraryWithTagsAndFollows) {
  Browser b = signed_in("reader");
  EXPECT_EQ(
      b.submit("/papers/2401.00001/save", {{"tags", " Diffusion, to-read,diffusion "}})->status,
      303);
  EXPECT_EQ(b.submit("/papers/2401.00002/save", {{"tags", "to-read"}})->status, 303);
  auto lib = b.get("/library");
  ASSERT_EQ(lib->status, 200);
  EXPECT_NE(lib->body.find("Diffusion Models for Image Synthesis"), std::string::npos);
  EXPECT_NE(lib->body.find("diffusion (1)"), std::string::npos);
  EXPECT_NE(lib->body.find("to-read (2)"), std::string::npos);
  auto tagged = b.get("/library?tag=diffusion");
  EXPECT_NE(tagged->body.find("2401.00001"), std::string::npos);
  EXPECT_EQ(tagged->body.find("/papers/2401.00002\""), std::string::npos);
  EXPECT_EQ(b.submit("/papers/2401.00001/unsave", {})->status, 303);
  EXPECT_EQ(b.get("/library?tag=diffusion")->body.find("/papers/2401.00001\""), std::string::npos);

  EXPECT_EQ(b.submit("/follow", {{"kind", "author"}, {"value", "Alice Smith"}})->status, 303);
  EXPECT_EQ(b.submit("/follow", {{"kind", "category"}, {"value", "cs.CL"}})->status, 303);
  EXPECT_EQ(b.submit("/follow", {{"kind", "planet"}, {"value", "Mars"}})->status, 400);
  auto account = b.get("/account");
  EXPECT_NE(account->body.find("Alice Smith"), std::string::npos);
  EXPECT_NE(account->body.find("cs.CL"), std::string::npos);
  auto author = b.get("/authors/Alice%20Smith");
  EXPECT_NE(author->body.find("Unfollow"), std::string::npos);
  EXPECT_EQ(b.submit("/unfollow", {{"kind", "author"}, {"value", "Alice Smith"}})->status, 303);
  EXPECT_EQ(b.get("/account")->body.find("/authors/Alice%20Smith"), std::string::npos);
}

TEST_F(ServerTest, PapersForYouAreExplainedAndCanBeDismissed) {
  Browser b = signed_in("recommended");
  auto empty = b.get("/for-you");
  ASSERT_EQ(empty->status, 200);
  EXPECT_NE(empty->body.find("Save or upvote a few papers"), std::string::npos);
  // One saved diffusion paper: the other diffusion papers come first, with reasons.
  ASSERT_EQ(b.submit("/papers/2401.00001/save", {})->status, 303);
  auto page = b.get("/for-you");
  ASSERT_EQ(page->status, 200);
  const std::string& html = page->body;
  const size_t first = html.find("class=\"card\"");
  ASSERT_NE(first, std::string::npos) << html;
  const std::string top = html.substr(first, 1500);
  EXPECT_NE(top.find("Why: diffus"), std::string::npos) << top;  // the stem, as indexed
  EXPECT_NE(top.find("like <a href=\"/papers/2401.00001\""), std::string::npos) << top;
  EXPECT_EQ(html.find("/papers/2401.00001/not-interested"), std::string::npos);  // saved
  // "Not interested" removes a paper for good.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(top, m, std::regex(R"re(data-id="([^"]+)")re")));
  const std::string dismissed = m[1];
  EXPECT_EQ(b.submit("/papers/" + dismissed + "/not-interested", {})->status, 303);
  EXPECT_EQ(b.get("/for-you")->body.find("data-id=\"" + dismissed + "\""), std::string::npos);
  // Anonymous visitors are asked to log in.
  Browser anon(port_);
  EXPECT_EQ(anon.get("/for-you")->status, 303);
  // The same as JSON.
  auto api = b.get("/api/recommendations?limit=3");
  ASSERT_EQ(api->status, 200) << api->body;
  EXPECT_EQ(api->get_header_value("Cache-Control"), "private, no-store");
  auto j = json_of(api);
  EXPECT_EQ(j["basis"], "library");
  ASSERT_EQ(j["items"].size(), 3u);
  for (const auto& it : j["items"]) {
    EXPECT_NE(it["paper"]["id"], "2401.00001");
    EXPECT_NE(it["paper"]["id"], dismissed);
    EXPECT_EQ(it["why"]["nearest"]["id"], "2401.00001");
  }
  EXPECT_TRUE(std::any_of(j["items"].begin(), j["items"].end(), [](const Json& it) {
    return it["why"]["words"] == Json{"diffusion"};
  })) << j.dump();  // the words as written, not the stems
  EXPECT_EQ(anon.get("/api/recommendations")->status, 401);
  EXPECT_EQ(b.get("/api/recommendations?limit=0")->status, 400);
  EXPECT_EQ(b.get("/api/recommendations?limit=x")->status, 400);
}

TEST_F(ServerTest, SubscribeRecordsAPendingSubscription) {
  Browser b(port_);
  b.get("/");
  auto r = b.submit("/subscribe", {{"email", "news@example.org"}, {"frequency", "weekly"}});
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("news@example.org"), std::string::npos);
  EXPECT_EQ(b.submit("/subscribe", {{"email", "not an address"}})->status, 400);
  StoreOptions so;
  so.data_dir = dir_->path() / "data";
  auto store = open_sqlite_store(so);
  ASSERT_TRUE(store.ok());
  auto sub = (*store)->find_subscription("NEWS@example.org");
  ASSERT_TRUE(sub.ok() && *sub);
  EXPECT_EQ((*sub)->frequency, "weekly");
  EXPECT_EQ((*sub)->state, SubscriptionState::kPending);
  // Double opt-in: a confirmation mail waits in the outbox, its link signed for this address.
  auto mail = (*store)->outbox((*sub)->id, 10);
  ASSERT_TRUE(mail.ok());
  ASSERT_EQ(mail->size(), 1u);
  EXPECT_EQ((*mail)[0].kind, "confirm");
  EXPECT_EQ((*mail)[0].recipient, "news@example.org");
  EXPECT_NE((*mail)[0].message.find("/subscription/confirm?t=3D"), std::string::npos);
  // An author page's box subscribes to that author; the address keeps its other topics.
  auto author_page = b.get("/authors/Alice%20Smith");
  ASSERT_EQ(author_page->status, 200);
  EXPECT_NE(author_page->body.find(R"(name="author" value="Alice Smith")"), std::string::npos);
  ASSERT_EQ(
      b.submit("/subscribe", {{"email", "news@example.org"}, {"author", "Alice Smith"}})->status,
      200);
  sub = (*store)->find_subscription("news@example.org");
  ASSERT_TRUE(sub.ok() && *sub);
  EXPECT_EQ((*sub)->authors, std::vector<std::string>{"Alice Smith"});
  EXPECT_TRUE((*sub)->top_papers);  // from the first subscribe
  EXPECT_EQ((*sub)->frequency, "daily");
}

TEST_F(ServerTest, PreferencesPageChangesTheDigestThroughItsSignedLink) {
  StoreOptions so;
  so.data_dir = dir_->path() / "data";
  auto store = open_sqlite_store(so);
  ASSERT_TRUE(store.ok());
  Subscription s;
  s.email = "prefs@example.org";
  s.created_at = 1;
  auto id = (*store)->upsert_subscription(s);
  ASSERT_TRUE(id.ok());
  auto sub = (*store)->get_subscription(*id);
  ASSERT_TRUE(sub.ok() && *sub);
  digest::MailSettings m;
  auto secret = digest::load_secret(so.data_dir);
  ASSERT_TRUE(secret.ok());
  m.secret = *secret;
  const std::string token = digest::make_link_token(m, digest::LinkPurpose::kPreferences, **sub, 1);
  Browser b(port_);
  auto page = b.get("/subscription?t=" + token);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("prefs@example.org"), std::string::npos);
  // No session or CSRF token: the signed link is the credential.
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Post("/subscription",
                  "t=" + token + "&frequency=weekly&queries=diffusion%0Aattention%0A%0A" +
                      "&authors=Alice+Smith&categories=cs.CL+cs.LG",
                  "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto after = (*store)->get_subscription(*id);
  ASSERT_TRUE(after.ok() && *after);
  EXPECT_EQ((*after)->frequency, "weekly");
  EXPECT_EQ((*after)->queries, (std::vector<std::string>{"diffusion", "attention"}));
  EXPECT_EQ((*after)->authors, (std::vector<std::string>{"Alice Smith"}));
  EXPECT_EQ((*after)->categories, (std::vector<std::string>{"cs.CL", "cs.LG"}));
  EXPECT_FALSE((*after)->top_papers);
  EXPECT_EQ((*after)->state, SubscriptionState::kConfirmed);
  // A token for another purpose, or a tampered one, is refused.
  const std::string unsub = digest::make_link_token(m, digest::LinkPurpose::kUnsubscribe, **sub, 1);
  EXPECT_EQ(c.Get("/subscription?t=" + unsub)->status, 400);
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(c.Get("/subscription?t=" + tampered)->status, 400);
  EXPECT_EQ(c.Post("/subscription", "t=" + tampered + "&frequency=daily",
                   "application/x-www-form-urlencoded")
                ->status,
            400);
}

TEST_F(ServerTest, SubmitAPaperToTodaysList) {
  Browser b = signed_in("submitter");
  auto r = b.submit("/submit", {{"id", "arXiv:2401.00005"}});
  ASSERT_EQ(r->status, 303) << r->body;
  auto today = json_of(b.get("/api/daily_papers?" + r->get_header_value("Location").substr(8)));
  ASSERT_EQ(today.size(), 1u);
  EXPECT_EQ(today[0]["paper"]["id"], "2401.00005");
  EXPECT_EQ(today[0]["submittedBy"]["name"], "submitter");
  EXPECT_EQ(b.submit("/submit", {{"id", "not-an-id"}})->status, 400);
  EXPECT_EQ(b.submit("/submit", {{"id", "2401.99999"}})->status, 404);
}

TEST_F(ServerTest, LoginAttemptsAreRateLimited) {
  Browser b(port_);
  b.get("/login");
  int last = 0;
  for (int i = 0; i < 12; ++i)
    last =
        b.submit("/login", {{"name", "victim"}, {"password", "guess" + std::to_string(i)}})->status;
  EXPECT_EQ(last, 429);
  auto r = b.submit("/login", {{"name", "victim"}, {"password", "guess"}});
  EXPECT_EQ(r->status, 429);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
}

TEST_F(ServerTest, RequestsTooLargeAreRefused) {
  httplib::Client c("127.0.0.1", port_);
  std::string big(200 * 1024, 'x');
  auto r = c.Post("/login", big, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  auto q = c.Get(("/api/papers/search?q=" + std::string(10000, 'a')).c_str());
  ASSERT_TRUE(q);
  EXPECT_LT(q->status, 500);  // a long query degrades, never errors
}

TEST_F(ServerTest, MetricsAndHealth) {
  Browser b(port_);
  b.get("/api/papers/search?q=diffusion");
  auto h = json_of(b.get("/healthz"));
  EXPECT_EQ(h["status"], "ok");
  EXPECT_GE(h["indexed"], 12);
  auto m = b.get("/metrics");
  const std::string& t = m->body;
  EXPECT_NE(t.find("# TYPE paperboy_http_requests_total counter"), std::string::npos);
  EXPECT_NE(t.find("paperboy_http_requests_total{method=\"GET\",route=\"/api/papers/search\","
                   "status=\"200\"}"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("paperboy_http_request_duration_seconds_bucket{route=\"/api/papers/search\""),
            std::string::npos);
  // 12 papers, or 13 when the cache test ran first in this process.
  EXPECT_TRUE(std::regex_search(t, std::regex("\npaperboy_papers 1[23]\n"))) << t;
  EXPECT_TRUE(std::regex_search(t, std::regex("\npaperboy_index_documents 1[23]\n")));
  // The access log has a line per request.
  auto log = pb::testing::read_file(dir_->path() / "access.log");
  EXPECT_NE(log.find("\"GET /healthz HTTP/1.1\" 200"), std::string::npos);
}

// The API cache keys on the index generation and the store's change counter: what another
// process adds shows up as soon as the server has picked up the new index.
TEST_F(ServerTest, CachedApiAnswersNeverGoStale) {
  Browser b(port_);
  EXPECT_TRUE(json_of(b.get("/api/papers/search?q=zebrafish")).empty());
  EXPECT_TRUE(json_of(b.get("/api/papers/search?q=zebrafish")).empty());  // from the cache
  {
    StoreOptions so;
    so.data_dir = dir_->path() / "data";
    auto store = open_sqlite_store(so);
    ASSERT_TRUE(store.ok());
    std::vector<Paper> more{paper("2401.00099", "Zebrafish Regeneration Atlas", {"Eve Adams"},
                                  "q-bio.CB", "2024-01-05")};
    ASSERT_TRUE((*store)->upsert(more).ok());
    auto index = lexical::LexicalIndex::open(dir_->path() / "data" / "index" / "lexical");
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE(engine::refresh_index(**store, **index, {}).ok());
  }
  Json found;
  for (int i = 0; i < 50 && found.empty(); ++i) {  // the reload thread looks every 2 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    found = json_of(b.get("/api/papers/search?q=zebrafish"));
  }
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["paper"]["id"], "2401.00099");
  EXPECT_EQ(json_of(b.get("/healthz"))["indexed"], 13);
}

TEST_F(ServerTest, ErrorsNeverShowInternals) {
  Browser b(port_);
  auto r = b.get("/api/papers/search?q=%22unbalanced&mode=lexical");
  EXPECT_EQ(r->status, 200);  // degraded, with a note
  auto bad = b.get("/papers?date=2024-02-30");
  EXPECT_EQ(bad->status, 400);
  auto bad_mode = b.get("/api/papers/search?q=diffusion&mode=dense");
  EXPECT_EQ(bad_mode->status, 400);
  EXPECT_NE(bad_mode->body.find("mode must be lexical, semantic or hybrid, not 'dense'"),
            std::string::npos)
      << bad_mode->body;
  EXPECT_EQ(bad->body.find("sqlite"), std::string::npos);
  EXPECT_EQ(bad->body.find("SQLITE"), std::string::npos);
}

// Thirty papers titled with three of `kSemanticWords` each, and a running server over them.
const std::vector<std::string> kSemanticWords = {"diffusion", "image",    "language", "model",
                                                 "quantum",   "graph",    "neural",   "filler",
                                                 "paper",     "attention"};

void add_semantic_papers(const std::filesystem::path& data) {
  auto store = open_sqlite_store({data});
  ASSERT_TRUE(store.ok()) << store.error().message();
  std::vector<Paper> papers;
  for (int i = 0; i < 30; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "2402.%05d", i);
    std::string title;
    for (int w = 0; w < 3; ++w)
      title += (w ? " " : "") + kSemanticWords[(i * 7 + w * 3) % kSemanticWords.size()];
    papers.push_back(paper(id, title, {"Ann Lee"}, "cs.LG", "2024-02-01"));
  }
  ASSERT_TRUE((*store)->upsert(papers).ok());
}

// A seeded model over kSemanticWords with `settings` as its paperboy.json; embeds the store's
// papers with it (a model other than the active one builds a new set and switches to it).
void embed_semantic_papers(const std::filesystem::path& data, const std::filesystem::path& model,
                           std::uint64_t seed, const std::string& settings) {
  pb::testing::write_static_model(model, kSemanticWords, 16, seed);
  pb::testing::write_file(model / "paperboy.json", settings);
  auto store = open_sqlite_store({data});
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto embedder = embed::load_model(model);
  ASSERT_TRUE(embedder.ok()) << embedder.error().message();
  engine::EmbedRunOptions eo;
  eo.threads = 1;
  eo.model_dir = model;
  auto run = engine::embed_store(**store, data / "vectors", **embedder, eo);
  ASSERT_TRUE(run.ok()) << run.error().message();
}

class RunningServer {
 public:
  explicit RunningServer(const std::filesystem::path& data, int reload_seconds = 2) {
    server::ServeOptions o;
    o.data_dir = data;
    o.port = 0;
    o.threads = 2;
    o.reload_seconds = reload_seconds;
    o.log = [](const std::string&) {};
    auto srv = server::Server::open(o);
    if (!srv.ok()) throw std::runtime_error(srv.error().message());
    server_ = std::move(*srv);
    auto port = server_->bind();
    if (!port.ok()) throw std::runtime_error(port.error().message());
    port_ = *port;
    thread_ = std::thread([this] { (void)server_->run(); });
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  std::unique_ptr<server::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

std::vector<std::string> hit_ids(const httplib::Result& r) {
  std::vector<std::string> v;
  for (const auto& it : Json::parse(r->body)) v.push_back(it["paper"]["id"]);
  return v;
}

// A server whose papers are embedded with a model that prefers hybrid search (as
// train-embedder's models do): free-text queries without a mode are answered in hybrid, the
// X-Paperboy-Mode header says so, and the search form shows "Both" selected.
TEST(ServerSemantic, SearchDefaultsToHybridWhereTheModelPrefersIt) {
  TempDir dir;
  const auto data = dir.path() / "data";
  ASSERT_NO_FATAL_FAILURE(add_semantic_papers(data));
  ASSERT_NO_FATAL_FAILURE(embed_semantic_papers(data, dir.path() / "model", 5,
                                                R"({"fusion": "rrf", "default_mode": "hybrid"})"));
  RunningServer srv(data);
  httplib::Client c("127.0.0.1", srv.port());
  bool some_differ = false;
  for (const std::string q : {"diffusion+image", "quantum+graph", "language+attention"}) {
    auto d = c.Get("/api/papers/search?q=" + q);
    auto h = c.Get("/api/papers/search?mode=hybrid&q=" + q);
    auto l = c.Get("/api/papers/search?mode=lexical&q=" + q);
    ASSERT_TRUE(d && h && l);
    ASSERT_EQ(d->status, 200) << d->body;
    EXPECT_EQ(d->get_header_value("X-Paperboy-Mode"), "hybrid") << q;
    EXPECT_EQ(l->get_header_value("X-Paperboy-Mode"), "lexical") << q;
    EXPECT_EQ(hit_ids(d), hit_ids(h)) << q;
    some_differ = some_differ || hit_ids(h) != hit_ids(l);
  }
  EXPECT_TRUE(some_differ) << "hybrid should reorder at least one query";
  auto fielded = c.Get("/api/papers/search?q=ti:diffusion");
  ASSERT_TRUE(fielded);
  EXPECT_EQ(fielded->get_header_value("X-Paperboy-Mode"), "lexical");
  auto page = c.Get("/search?q=diffusion");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find(R"(value="hybrid" checked)"), std::string::npos);
  EXPECT_EQ(page->body.find(R"(value="lexical" checked)"), std::string::npos);
  auto asked = c.Get("/search?q=diffusion&mode=lexical");
  ASSERT_TRUE(asked);
  EXPECT_NE(asked->body.find(R"(value="lexical" checked)"), std::string::npos);
}

// A cached mode-less answer belongs to the vector set that was active: once a retrained model
// (which prefers hybrid) replaces the active set, the same URL is answered afresh, in hybrid,
// by the new vectors; until then it stays lexical.
TEST(ServerSemantic, DefaultModeFollowsANewActiveVectorSetPastTheCache) {
  TempDir dir;
  const auto data = dir.path() / "data";
  ASSERT_NO_FATAL_FAILURE(add_semantic_papers(data));
  ASSERT_NO_FATAL_FAILURE(
      embed_semantic_papers(data, dir.path() / "model-v1", 5, R"({"fusion": "rrf"})"));
  RunningServer srv(data, 1);
  httplib::Client c("127.0.0.1", srv.port());
  const std::string url = "/api/papers/search?q=diffusion+image";
  for (int i = 0; i < 2; ++i) {  // the second answer comes from the cache
    auto r = c.Get(url);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("X-Paperboy-Mode"), "lexical");
  }
  ASSERT_NO_FATAL_FAILURE(embed_semantic_papers(data, dir.path() / "model-v2", 9,
                                                R"({"fusion": "rrf", "default_mode": "hybrid"})"));
  std::string mode;
  for (int i = 0; i < 60 && mode != "hybrid"; ++i) {  // the reload thread looks every second
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto r = c.Get(url);
    ASSERT_TRUE(r);
    mode = r->get_header_value("X-Paperboy-Mode");
  }
  ASSERT_EQ(mode, "hybrid");
  auto d = c.Get(url);
  auto h = c.Get(url + "&mode=hybrid");
  ASSERT_TRUE(d && h);
  EXPECT_EQ(hit_ids(d), hit_ids(h));
}

}  // namespace
}  // namespace pb
