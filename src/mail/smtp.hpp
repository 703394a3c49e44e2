#pragma once
// Sending mail: the Transport seam, and its SMTP implementation on libcurl.

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace pb::mail {

enum class SendOutcome {
  kSent,       // the server took responsibility (250 after DATA)
  kTransient,  // try again later: 4xx, no connection, timeout, refused login
  kPermanent,  // the server refused the recipient or the message (5xx): do not retry
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kSent;
  int code = 0;       // the server's last reply code (0 when there was none)
  std::string error;  // one line, empty when sent
};

// Delivers one message at a time. Not thread-safe; one per sending thread.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual SendResult send(std::string_view from_email, std::string_view to_email,
                          std::string_view message) = 0;
};

struct SmtpSettings {
  // smtp://host[:port] (STARTTLS per `tls`) or smtps://host[:port] (TLS from the start).
  std::string url = "smtp://127.0.0.1:25";
  std::string username;  // AUTH when set
  std::string password;
  std::string tls = "try";  // STARTTLS: "none", "try" (when offered) or "require"
  std::string ca_file;      // trust this CA bundle instead of the system's
  bool verify_peer = true;
  long timeout_seconds = 60;
};

// InvalidInput for a URL that is not smtp:// or smtps://, or an unknown tls mode. The
// connection is opened on the first send and reused for the following ones.
Result<std::unique_ptr<Transport>> smtp_transport(const SmtpSettings& settings);

}  // namespace pb::mail
