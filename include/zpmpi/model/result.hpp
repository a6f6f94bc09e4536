// Errors as values. A function that can fail returns Result<T> (or Status): either the
// value, or an Error whose message already says what failed and where. Callers add
// context as the error travels up, so the user finally reads one line such as
//   job.json: chunks.latitude: must be a positive integer, got -3
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace zpmpi {

/// Exit codes the program reports (documented in README.md).
enum class ExitCode : int {
  kOk = 0,
  kRuntime = 1,  ///< I/O or other failure while running a valid job
  kUsage = 2,    ///< the command line or the job file is invalid
  kHalted = 3,   ///< stopped on purpose (e.g. recommendations with "halt")
  kInterrupted = 75,  ///< stopped by a signal (EX_TEMPFAIL): run again with --resume
};

struct Error {
  std::string message;
  ExitCode code = ExitCode::kRuntime;

  /// "context: message", keeping the exit code.
  Error with_context(std::string_view context) const {
    return Error{std::string(context) + ": " + message, code};
  }
};

inline Error runtime_error(std::string message) { return Error{std::move(message), ExitCode::kRuntime}; }
inline Error usage_error(std::string message) { return Error{std::move(message), ExitCode::kUsage}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace zpmpi

/// Evaluates a Result/Status expression; on error returns it (as Error) from the caller.
#define ZPMPI_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    auto&& zpmpi_status_ = (expr);                  \
    if (!zpmpi_status_.ok()) return zpmpi_status_.error(); \
  } while (0)

#define ZPMPI_CONCAT_INNER_(a, b) a##b
#define ZPMPI_CONCAT_(a, b) ZPMPI_CONCAT_INNER_(a, b)
/// `ZPMPI_ASSIGN_OR_RETURN(auto x, f());` declares x from f()'s value or returns its error.
#define ZPMPI_ASSIGN_OR_RETURN(decl, expr) \
  ZPMPI_ASSIGN_OR_RETURN_IMPL_(ZPMPI_CONCAT_(zpmpi_result_, __LINE__), decl, expr)
#define ZPMPI_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.error();                  \
  decl = std::move(tmp).value()
