// The one error model of RIS: expected failures are values, `Result<T>`.
//
// Why not std::expected: the libFuzzer targets are built with clang 14 (the only libFuzzer
// on Debian 12), which cannot compile libstdc++ 12's <expected>. Result<T> keeps the same
// surface (has_value, value, error, *, ->, explicit bool) so moving to std::expected later
// is a search-and-replace.
#pragma once
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ris {

// Stable error kinds; the API edge maps each to an HTTP status and a problem `type`.
enum class Errc {
  invalid_argument,  // bad input from the caller (400)
  unauthenticated,   // no or bad credentials (401)
  forbidden,         // authenticated but not allowed (403)
  not_found,         // no such resource, or not visible to the caller (404)
  conflict,          // state does not allow it (409)
  too_large,         // over a size limit (413)
  rate_limited,      // slow down (429)
  unavailable,       // a dependency is down (503)
  busy,              // collided with concurrent work; the same request may succeed if retried (503)
  internal,          // a bug or an unexpected system failure (500)
};

struct Error {
  Errc code = Errc::internal;
  std::string message;  // meant for a person; never contains secrets
};

// Wraps an error so `return fail(...)` converts to any Result<T>.
struct Failure {
  Error error;
};
inline Failure fail(Errc code, std::string message) {
  return Failure{{code, std::move(message)}};
}
inline Failure fail(Error e) {
  return Failure{std::move(e)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Failure f) : v_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT: implicit

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return (assert(has_value()), std::get<0>(v_)); }
  const T& value() const& { return (assert(has_value()), std::get<0>(v_)); }
  T&& value() && { return (assert(has_value()), std::get<0>(std::move(v_))); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return (assert(!has_value()), std::get<1>(v_)); }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure f) : error_(std::move(f.error)), ok_(false) {}  // NOLINT: implicit

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const { return (assert(!ok_), error_); }

 private:
  Error error_;
  bool ok_ = true;
};

// Propagates an error: `RIS_TRY(auto x, parse(s));` — kept as a macro because C++ has no `?`.
#define RIS_CONCAT_INNER(a, b) a##b
#define RIS_CONCAT(a, b) RIS_CONCAT_INNER(a, b)
#define RIS_TRY_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                  \
  if (!tmp)                           \
    return ::ris::fail(tmp.error());  \
  decl = std::move(*tmp)
#define RIS_TRY(decl, expr) RIS_TRY_IMPL(RIS_CONCAT(ris_try_, __LINE__), decl, expr)
#define RIS_TRY_VOID(expr)                   \
  do {                                       \
    auto ris_try_v = (expr);                 \
    if (!ris_try_v)                          \
      return ::ris::fail(ris_try_v.error()); \
  } while (0)

std::string_view errc_name(Errc code);

}  // namespace ris
