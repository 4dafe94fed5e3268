#include "output.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace ris::cli {
namespace json = boost::json;

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i)
    width[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool upper) {
    std::string l;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string c = i < cells.size() ? cells[i] : "";
      if (upper)
        std::transform(c.begin(), c.end(), c.begin(), ::toupper);
      l += c;
      if (i + 1 < width.size())
        l += std::string(width[i] - c.size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ')
      l.pop_back();
    out += l + "\n";
  };
  line(header, true);
  for (const auto& r : rows)
    line(r, false);
  return out;
}

namespace {
void pretty(const json::value& v, std::string& out, int indent) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  if (v.is_object() && !v.as_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [k, x] : v.as_object()) {
      if (!first)
        out += ",\n";
      first = false;
      out += pad + "  " + json::serialize(json::string(k)) + ": ";
      pretty(x, out, indent + 1);
    }
    out += "\n" + pad + "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& x : v.as_array()) {
      if (!first)
        out += ",\n";
      first = false;
      out += pad + "  ";
      pretty(x, out, indent + 1);
    }
    out += "\n" + pad + "]";
  } else {
    out += json::serialize(v);
  }
}

bool plain_yaml_scalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "true" || s == "false" || s == "yes" ||
      s == "no" || s == "on" || s == "off" || s == "Null" || s == "True" || s == "False")
    return false;
  if (std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back())))
    return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`0123456789.+").find(s.front()) !=
      std::string_view::npos)
    return false;
  for (char c : s)
    if (c == '\n' || c == '\t' || static_cast<unsigned char>(c) < 0x20)
      return false;
  return s.find(": ") == std::string_view::npos && s.find(" #") == std::string_view::npos &&
         s.back() != ':';
}

std::string yaml_scalar(const json::value& v) {
  if (v.is_string()) {
    const std::string_view s = v.as_string();
    // A JSON string is a valid double-quoted YAML scalar.
    return plain_yaml_scalar(s) ? std::string(s) : json::serialize(v);
  }
  if (v.is_object())
    return "{}";
  if (v.is_array())
    return "[]";
  if (v.is_double()) {  // shortest round-trip form: 1.5, not 1.5E0
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_double());
    return ec == std::errc() ? std::string(buf, end) : json::serialize(v);
  }
  return json::serialize(v);
}

bool is_block(const json::value& v) {
  return (v.is_object() && !v.as_object().empty()) || (v.is_array() && !v.as_array().empty());
}

void yaml(const json::value& v, std::string& out, int indent) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  if (v.is_object() && !v.as_object().empty()) {
    for (const auto& [k, x] : v.as_object()) {
      const json::value key(k);
      out += pad + yaml_scalar(key) + ":";
      if (is_block(x)) {
        out += "\n";
        yaml(x, out, x.is_array() ? indent : indent + 1);
      } else {
        out += " " + yaml_scalar(x) + "\n";
      }
    }
  } else if (v.is_array() && !v.as_array().empty()) {
    for (const auto& x : v.as_array()) {
      if (is_block(x)) {
        // "- " then the block's first line on the same line, the rest indented under it.
        std::string inner;
        yaml(x, inner, indent + 1);
        out += pad + "- " + inner.substr(pad.size() + 2);
      } else {
        out += pad + "- " + yaml_scalar(x) + "\n";
      }
    }
  } else {
    out += pad + yaml_scalar(v) + "\n";
  }
}
}  // namespace

std::string to_pretty_json(const json::value& v) {
  std::string out;
  pretty(v, out, 0);
  return out + "\n";
}

std::string to_yaml(const json::value& v) {
  std::string out;
  yaml(v, out, 0);
  return out;
}

std::string cell(const json::value* v) {
  if (!v || v->is_null())
    return "";
  if (v->is_string())
    return std::string(v->as_string());
  if (v->is_array()) {
    std::string s;
    for (const auto& x : v->as_array())
      s += (s.empty() ? "" : ",") + cell(&x);
    return s;
  }
  if (v->is_object()) {
    std::string s;
    for (const auto& [k, x] : v->as_object())
      s += (s.empty() ? "" : ",") + std::string(k) + "=" + cell(&x);
    return s;
  }
  if (v->is_double()) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", v->as_double());
    return buf;
  }
  return json::serialize(*v);
}

std::string text(const json::object& o, std::string_view key) {
  return cell(o.if_contains(key));
}

std::string age(const std::string& rfc3339) {
  std::tm tm{};
  if (rfc3339.size() < 19 || !strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
    return "";
  const auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - then)
          .count();
  if (secs < 0)
    return "0s ago";
  if (secs < 120)
    return std::to_string(secs) + "s ago";
  if (secs < 7200)
    return std::to_string(secs / 60) + "m ago";
  if (secs < 172800)
    return std::to_string(secs / 3600) + "h ago";
  return std::to_string(secs / 86400) + "d ago";
}

}  // namespace ris::cli
