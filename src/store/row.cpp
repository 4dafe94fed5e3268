// Row access and the conversions between storage classes, which follow SQLite's own rules so
// that a column reads the same whichever backend produced it.
#include <cassert>
#include <charconv>
#include <cstdlib>

#include "ris/store/store.hpp"

namespace ris::store {
namespace {

const Value& null_value() {
  static const Value kNull = nullptr;
  return kNull;
}

std::string_view trim_leading_space(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  return s;
}

// The leading number of a text, as SQLite reads "12abc" as 12; 0 when there is none.
int64_t parse_int_prefix(std::string_view s) {
  s = trim_leading_space(s);
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  int64_t out = 0;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

double parse_double_prefix(std::string_view s) {
  s = trim_leading_space(s);
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  double out = 0;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

std::string_view blob_text(const Blob& b) {
  return {reinterpret_cast<const char*>(b.bytes.data()), b.bytes.size()};
}

}  // namespace

const Value& Row::value(size_t i) const {
  assert(i < values_.size() && "Row: column index out of range");
  return i < values_.size() ? values_[i] : null_value();
}

const Value& Row::value(std::string_view column) const {
  const auto i = index_of(column);
  assert(i && "Row: no such column");
  return i ? values_[*i] : null_value();
}

std::optional<size_t> Row::index_of(std::string_view column) const {
  if (!columns_)
    return std::nullopt;
  for (size_t i = 0; i < columns_->size() && i < values_.size(); ++i) {
    if ((*columns_)[i] == column)
      return i;
  }
  return std::nullopt;
}

int64_t Row::to_int64(const Value& v) {
  if (const auto* flag = std::get_if<bool>(&v))
    return *flag ? 1 : 0;
  if (const auto* i = std::get_if<int64_t>(&v))
    return *i;
  if (const auto* d = std::get_if<double>(&v))
    return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v))
    return parse_int_prefix(*s);
  if (const auto* b = std::get_if<Blob>(&v))
    return parse_int_prefix(blob_text(*b));
  return 0;
}

double Row::to_double(const Value& v) {
  if (const auto* flag = std::get_if<bool>(&v))
    return *flag ? 1 : 0;
  if (const auto* i = std::get_if<int64_t>(&v))
    return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v))
    return *d;
  if (const auto* s = std::get_if<std::string>(&v))
    return parse_double_prefix(*s);
  if (const auto* b = std::get_if<Blob>(&v))
    return parse_double_prefix(blob_text(*b));
  return 0;
}

std::string Row::to_string(const Value& v) {
  if (const auto* flag = std::get_if<bool>(&v))
    return *flag ? "1" : "0";
  if (const auto* i = std::get_if<int64_t>(&v))
    return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, r.ptr);
  }
  if (const auto* s = std::get_if<std::string>(&v))
    return *s;
  if (const auto* b = std::get_if<Blob>(&v))
    return std::string(blob_text(*b));
  return {};
}

Blob Row::to_blob(const Value& v) {
  if (const auto* b = std::get_if<Blob>(&v))
    return *b;
  if (std::holds_alternative<std::nullptr_t>(v))
    return {};
  const std::string s = to_string(v);
  return Blob{{s.begin(), s.end()}};
}

}  // namespace ris::store
