#pragma once
// The HTTP seam of the harvester: production code uses libcurl, tests may substitute a fake
// (or, as the integration test does, point the real client at a server on 127.0.0.1).

#include <map>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace pb::ingest {

struct HttpResponse {
  long status = 0;   // NOLINT(google-runtime-int): libcurl's type
  std::string body;  // decoded (gzip/deflate removed)
  // Header names lower-cased; of a redirect chain, only the final response's headers.
  std::map<std::string, std::string> headers;
};

// Thread safety: one client per thread.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a response; only transport failures (DNS, connect, timeout, TLS) are
  // errors, with kNetwork and a one-line message.
  virtual Result<HttpResponse> get(const std::string& url) = 0;
};

// libcurl client: follows redirects, accepts gzip, identifies itself with `user_agent`.
std::unique_ptr<HttpClient> make_curl_http_client(std::string user_agent,
                                                  long timeout_seconds = 120);  // NOLINT

}  // namespace pb::ingest
