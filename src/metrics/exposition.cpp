#include "exposition.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <iterator>

namespace ris::metrics::exposition {

namespace {
bool is_word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}
}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_word_start(name[0]) || name[0] == ':'))
    return false;
  for (char c : name)
    if (!is_word_start(c) && !is_digit(c) && c != ':')
      return false;
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !is_word_start(name[0]) || name.starts_with("__"))
    return false;
  for (char c : name)
    if (!is_word_start(c) && !is_digit(c))
      return false;
  return true;
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::trunc(v) && std::fabs(v) < 0x1p63) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<int64_t>(v));
  } else {
    // fmt's default is the shortest representation that round-trips, e.g. 0.1 or 1e+100;
    // Prometheus (Go's ParseFloat) reads both forms.
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

std::string format_value(double v) {
  std::string out;
  append_value(out, v);
  return out;
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_header(std::string& out, std::string_view name, std::string_view help, Type type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type_name(type);
  out += '\n';
}

}  // namespace ris::metrics::exposition
