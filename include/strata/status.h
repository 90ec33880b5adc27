// Status and Result<T>: how every strata library call reports failure.
//
// A Status is a code and a message that names the document, pointer or file
// involved. Exceptions never cross a module boundary, nor the library's
// public boundary: every call that returns a Status or a Result catches what
// its insides throw (std::bad_alloc included) and returns it as one of the
// codes below. Callers test `ok()`:
//
//   Result<Value> doc = repo.Get("config/app1");
//   if (!doc.ok()) return doc.status();
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace strata {

enum class Code {
  kOk = 0,
  kNotFound,         // a document, revision, pointer target or file does not exist
  kInvalidArgument,  // bad input: invalid JSON, malformed pointer, bad patch
  kConflict,         // a concurrent writer or a failing `test` op; nothing was written
  kCorruption,       // the repository holds something strata did not write
  kIOError,          // the file system or libgit2 failed
  kUnchanged,        // a write that changes nothing; not an error for the user
  // Out of memory (std::bad_alloc inside the call) or a size past what the
  // platform allows (std::length_error). The call stopped there; as with any
  // failure, a version is written whole or not at all, and the repository
  // stays sound (tests/repo/alloc_failure_test.cc). It may be tried again.
  kResourceExhausted,
  // A bug in strata: an exception its code did not expect ("internal error
  // in Repository::Put: WHAT"). Please report it.
  kInternal,
};

// "Ok", "NotFound", "InvalidArgument", "Conflict", "Corruption", "IOError",
// "Unchanged", "ResourceExhausted", "Internal".
const char* CodeName(Code code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Unchanged(std::string m) { return {Code::kUnchanged, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {Code::kResourceExhausted, std::move(m)};
  }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return {code_, context + ": " + message_};
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

namespace internal {
// Prints "strata: Result::value() called on an error: MESSAGE" and aborts.
[[noreturn]] void DieOnMissingValue(const Status& status);
}  // namespace internal

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // The value. Calling these on an error is a programming mistake; it is
  // checked, and ends the process with the error's message.
  T& value() & { return Checked(), *value_; }
  const T& value() const& { return Checked(), *value_; }
  T&& value() && { return Checked(), std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void Checked() const {
    if (!value_) internal::DieOnMissingValue(status_);
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace strata

// Returns early with the status of `expr` when it is not ok.
#define STRATA_RETURN_IF_ERROR(expr) \
  do {                               \
    ::strata::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

#define STRATA_CONCAT_INNER(a, b) a##b
#define STRATA_CONCAT(a, b) STRATA_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its status.
#define STRATA_ASSIGN_OR_RETURN(lhs, expr) \
  STRATA_ASSIGN_OR_RETURN_IMPL(STRATA_CONCAT(_res_, __LINE__), lhs, expr)
#define STRATA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
