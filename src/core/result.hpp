#pragma once
// Error values for expected failures (bad input, not found, I/O, corrupt data).
// Result<T> is our stand-in for C++23 std::expected; Status is Result<void>.
// Bugs are not errors: PB_CHECK aborts with a message.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace pb {

enum class ErrorCode {
  kInvalidInput,  // malformed record, bad id, unparsable query
  kNotFound,
  kIo,           // unreadable file, write failure
  kUnsupported,  // unsupported format or feature
  kCorrupt,      // damaged store or index file
  kNetwork,      // HTTP failure, timeout
  kInternal,     // database error or other unexpected condition
  kCancelled,
  kConflict,  // already exists (a taken user name, a duplicate listing)
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Error invalid_input(std::string m) { return {ErrorCode::kInvalidInput, std::move(m)}; }
  static Error not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error io(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
  static Error unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
  static Error corrupt(std::string m) { return {ErrorCode::kCorrupt, std::move(m)}; }
  static Error network(std::string m) { return {ErrorCode::kNetwork, std::move(m)}; }
  static Error internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
  static Error cancelled(std::string m) { return {ErrorCode::kCancelled, std::move(m)}; }
  static Error conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}  // NOLINT
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *e_; }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;
inline Status ok_status() { return {}; }

[[noreturn]] inline void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "paperboy: internal check failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace pb

#define PB_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::pb::check_failed(#cond, __FILE__, __LINE__))

#define PB_CONCAT_INNER(a, b) a##b
#define PB_CONCAT(a, b) PB_CONCAT_INNER(a, b)

#define PB_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    auto pb_status_ = (expr);                        \
    if (!pb_status_.ok()) return pb_status_.error(); \
  } while (0)

#define PB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.error();             \
  lhs = std::move(tmp).value()

#define PB_ASSIGN_OR_RETURN(lhs, expr) \
  PB_ASSIGN_OR_RETURN_IMPL(PB_CONCAT(pb_result_, __LINE__), lhs, expr)
