#include "ingest/http_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string_view>

namespace pb::ingest {
namespace {

// A response larger than this is refused rather than held in memory; arXiv pages are a few MB.
constexpr size_t kMaxBody = size_t{1} << 30;

void global_init() {
  // curl_global_init is not thread-safe and must run once per process.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

struct Transfer {
  HttpResponse* response;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (t->response->body.size() + bytes > kMaxBody) {
    t->too_large = true;
    return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  std::string_view line(data, bytes);
  // Each response of a redirect chain starts with a status line: keep the last one's headers.
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();
    return bytes;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response->headers[name] = std::string(value);
  return bytes;
}

// Owns one easy handle, reused across requests so keep-alive connections are reused.
class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient(std::string user_agent, long timeout_seconds)  // NOLINT
      : user_agent_(std::move(user_agent)), timeout_(timeout_seconds) {
    global_init();
    handle_ = curl_easy_init();
  }
  ~CurlHttpClient() override {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> get(const std::string& url) override {
    if (handle_ == nullptr) return Error::internal("curl_easy_init failed");
    CURL* h = handle_;
    curl_easy_reset(h);
    HttpResponse response;
    Transfer transfer{&response};
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts in threaded programs
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
    curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, std::min(timeout_, 30L));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);

    const CURLcode rc = curl_easy_perform(h);
    if (transfer.too_large)
      return Error::network(fmt::format("GET {}: response larger than {} MB", url, kMaxBody >> 20));
    if (rc != CURLE_OK) {
      std::string why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
      return Error::network(one_line(fmt::format("GET {}: {}", url, why)));
    }
    long status = 0;  // NOLINT
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    return response;
  }

 private:
  std::string user_agent_;
  long timeout_;  // NOLINT
  CURL* handle_ = nullptr;
};

}  // namespace

std::unique_ptr<HttpClient> make_curl_http_client(std::string user_agent,
                                                  long timeout_seconds) {  // NOLINT
  return std::make_unique<CurlHttpClient>(std::move(user_agent), timeout_seconds);
}

}  // namespace pb::ingest
