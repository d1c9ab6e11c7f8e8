// Status and Result<T>: how every module reports an expected failure.
//
// Modelled on LevelDB's Status: no exceptions cross a module boundary. A
// Status carries a coarse Code (mapped to an HTTP status in one table, see
// api/problem.cc), a stable machine-readable `reason` (e.g.
// "insufficient_stock"), a human message, and optionally the JSON pointer of
// the offending input field so that clients can show it next to the field.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace orderhub {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // the request itself is wrong
  kNotFound,            // a referenced thing does not exist (or is not yours)
  kAlreadyExists,       // a duplicate (channel order id, sku, node)
  kConflict,            // state forbids it now (illegal transition, idempotency mismatch)
  kInsufficient,        // not enough stock
  kUnauthenticated,     // no or unknown credentials
  kPermissionDenied,    // known caller, not allowed
  kTooLarge,            // body / collection over a limit
  kRateLimited,         // the caller's request budget is spent for now
  kWrongRegion,         // the data belongs to a region this deployment does not serve
  kCorruption,          // stored data failed a check
  kIOError,             // the OS or the database failed
  kUnavailable,         // shutting down, or fail-stopped after an I/O error
  kInternal,
};

class Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string reason, std::string message, std::string pointer = "") {
    return Status(Code::kInvalidArgument, std::move(reason), std::move(message), std::move(pointer));
  }
  static Status NotFound(std::string reason, std::string message, std::string pointer = "") {
    return Status(Code::kNotFound, std::move(reason), std::move(message), std::move(pointer));
  }
  static Status AlreadyExists(std::string reason, std::string message, std::string pointer = "") {
    return Status(Code::kAlreadyExists, std::move(reason), std::move(message), std::move(pointer));
  }
  static Status Conflict(std::string reason, std::string message, std::string pointer = "") {
    return Status(Code::kConflict, std::move(reason), std::move(message), std::move(pointer));
  }
  static Status Insufficient(std::string reason, std::string message, std::string pointer = "") {
    return Status(Code::kInsufficient, std::move(reason), std::move(message), std::move(pointer));
  }
  static Status Unauthenticated(std::string message) {
    return Status(Code::kUnauthenticated, "unauthenticated", std::move(message), "");
  }
  static Status PermissionDenied(std::string message) {
    return Status(Code::kPermissionDenied, "permission_denied", std::move(message), "");
  }
  static Status TooLarge(std::string reason, std::string message, std::string pointer = "") {
    return Status(Code::kTooLarge, std::move(reason), std::move(message), std::move(pointer));
  }
  static Status RateLimited(std::string message) {
    return Status(Code::kRateLimited, "rate_limited", std::move(message), "");
  }
  static Status WrongRegion(std::string message) {
    return Status(Code::kWrongRegion, "region_mismatch", std::move(message), "");
  }
  static Status Corruption(std::string message) {
    return Status(Code::kCorruption, "corruption", std::move(message), "");
  }
  static Status IOError(std::string message) {
    return Status(Code::kIOError, "io_error", std::move(message), "");
  }
  static Status Unavailable(std::string message) {
    return Status(Code::kUnavailable, "unavailable", std::move(message), "");
  }
  static Status Internal(std::string message) {
    return Status(Code::kInternal, "internal", std::move(message), "");
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  const std::string& pointer() const { return pointer_; }

  // "reason: message (at /pointer)" for logs and the command line.
  std::string ToString() const;

 private:
  Status(Code c, std::string reason, std::string message, std::string pointer)
      : code_(c), reason_(std::move(reason)), message_(std::move(message)), pointer_(std::move(pointer)) {}

  Code code_ = Code::kOk;
  std::string reason_;
  std::string message_;
  std::string pointer_;
};

// Either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}              // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace orderhub

#define OH_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::orderhub::Status _st = (expr);      \
    if (!_st.ok()) return _st;            \
  } while (0)
