// SMTP on libcurl. One easy handle per transport: libcurl keeps the connection open between
// messages (QUIT goes out when the transport is destroyed), so a run of digests costs one TLS
// handshake and one login.

#include "mail/smtp.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstring>
#include <mutex>

namespace pb::mail {

namespace {

void global_init() {
  static std::once_flag once;  // curl_global_init is not thread-safe
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  std::string_view data;
  size_t pos = 0;
};

size_t read_upload(char* buffer, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * nitems, up->data.size() - up->pos);
  std::memcpy(buffer, up->data.data() + up->pos, n);
  up->pos += n;
  return n;
}

class CurlSmtp final : public Transport {
 public:
  explicit CurlSmtp(SmtpSettings s) : settings_(std::move(s)) {}
  ~CurlSmtp() override {
    if (curl_) curl_easy_cleanup(curl_);
  }

  SendResult send(std::string_view from, std::string_view to, std::string_view message) override {
    if (!curl_) {
      curl_ = curl_easy_init();
      if (!curl_) return {SendOutcome::kTransient, 0, "cannot start libcurl"};
    }
    CURL* c = curl_;
    curl_easy_reset(c);  // keeps the open connection
    const std::string from_arg = fmt::format("<{}>", from);
    const std::string to_arg = fmt::format("<{}>", to);
    curl_slist* rcpt = curl_slist_append(nullptr, to_arg.c_str());
    Upload up{message, 0};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_arg.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, std::min(settings_.timeout_seconds, 30L));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, settings_.timeout_seconds);
    if (settings_.tls == "require") {
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    } else if (settings_.tls == "try") {
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    }
    if (!settings_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.verify_peer) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!settings_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, settings_.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK) return {SendOutcome::kSent, static_cast<int>(code), ""};
    std::string error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED) {
      // Our configuration or the server's, not the recipient: keep the mail and try later.
      return {SendOutcome::kTransient, static_cast<int>(code), std::move(error)};
    }
    // A 5xx to MAIL FROM is about the sender; to RCPT TO or the message, about this mail.
    const bool permanent = code >= 500 && code < 600 && error.rfind("MAIL failed", 0) != 0;
    if (!permanent) {
      // Drop the connection: after a failed transaction its state is unknown.
      curl_easy_cleanup(curl_);
      curl_ = nullptr;
    }
    return {permanent ? SendOutcome::kPermanent : SendOutcome::kTransient, static_cast<int>(code),
            std::move(error)};
  }

 private:
  SmtpSettings settings_;
  CURL* curl_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Transport>> smtp_transport(const SmtpSettings& settings) {
  if (settings.url.rfind("smtp://", 0) != 0 && settings.url.rfind("smtps://", 0) != 0)
    return Error::invalid_input(fmt::format(
        "SMTP server '{}' must be smtp://host[:port] or smtps://host[:port]", settings.url));
  if (settings.tls != "none" && settings.tls != "try" && settings.tls != "require")
    return Error::invalid_input(
        fmt::format("SMTP TLS mode '{}' must be none, try or require", settings.tls));
  global_init();
  return std::unique_ptr<Transport>(new CurlSmtp(settings));
}

}  // namespace pb::mail
