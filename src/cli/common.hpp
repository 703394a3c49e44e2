#pragma once
// What the command files of the CLI share: global options, exit codes, error reporting and
// the data directory's layout.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "digest/digest.hpp"
#include "engine/vectors.hpp"
#include "index/lexical/index.hpp"
#include "store/store.hpp"

namespace pb::cli {

// Exit codes (documented in --help and the README).
enum Exit : int {
  kOk = 0,
  kFailure = 1,   // store or internal error
  kUsage = 2,     // bad command line
  kPartial = 3,   // finished, but some records were malformed and skipped
  kBadInput = 4,  // unreadable file or unsupported format
  kNetwork = 5,   // harvest could not reach or understand the endpoint
  kNotFound = 6,  // `show` of an unknown paper
};

inline constexpr const char* kExitCodes =
    "Exit codes: 0 ok; 1 store or internal error; 2 usage error; 3 some records were skipped "
    "(the rest were stored); 4 unreadable file or unsupported format; 5 network or endpoint "
    "error; 6 not found.";

struct Globals {
  std::string data_dir;
  bool quiet = false;
};

int exit_for(const Error& e);
// Prints "paperboy: MESSAGE" to stderr and returns the error's exit code.
int fail(const Error& e);

Result<std::unique_ptr<Store>> open_store(const Globals& g, bool read_only = false);
std::filesystem::path lexical_dir(const Globals& g);
std::filesystem::path vectors_dir(const Globals& g);
// The lexical index; its error says to run `paperboy index --rebuild`.
Result<std::unique_ptr<lexical::LexicalIndex>> open_index(const Globals& g);
// The active vector set (null when nothing is embedded yet).
Result<std::unique_ptr<engine::VectorSet>> open_active_vectors(const Globals& g);

// Gives every option of `cmd` a PAPERBOY_<NAME> environment variable (--max-body:
// PAPERBOY_MAX_BODY).
void add_env_names(CLI::App* cmd);

// --- e-mail (mail_cmd.cpp)
struct MailArgs {
  std::string smtp;  // "" = do not send
  std::string smtp_user;
  std::string smtp_password_file;
  std::string smtp_tls = "try";
  std::string smtp_ca;
  bool smtp_insecure = false;
  std::string from = "paperboy <paperboy@localhost>";
  std::string base_url = "http://localhost:8080";
};
// --smtp, --smtp-user, --smtp-password-file, --smtp-tls, --smtp-ca, --smtp-insecure, --from
// and (unless the command has its own) --base-url.
void add_mail_options(CLI::App* cmd, MailArgs& a, bool with_base_url);
struct MailSetup {
  digest::MailSettings settings;           // with the data directory's secret
  std::optional<mail::SmtpSettings> smtp;  // nullopt without --smtp
};
// The password comes from --smtp-password-file or PAPERBOY_SMTP_PASSWORD, never from the
// command line (where `ps` would show it).
Result<MailSetup> mail_setup(const Globals& g, const MailArgs& a);

// `digest run` and `subscribers add|list|remove`; the returned function runs whichever was
// chosen (kUsage when none).
std::function<int(const Globals&)> add_mail_commands(CLI::App& app);

}  // namespace pb::cli
