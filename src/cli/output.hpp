// How risctl prints: aligned tables for people, JSON and YAML for programs.
#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ris::cli {

// Columns padded to their widest cell, two spaces apart; the header in capitals.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);
// Indented JSON (two spaces), one trailing newline.
std::string to_pretty_json(const boost::json::value& v);
// Block-style YAML; strings are quoted whenever a plain scalar would change meaning.
std::string to_yaml(const boost::json::value& v);

// A JSON value as one table cell: strings as is, null as "", arrays joined by ",", objects as
// k=v pairs.
std::string cell(const boost::json::value* v);
// cell() of o[key] ("" when absent).
std::string text(const boost::json::object& o, std::string_view key);
// "3m ago", "2h ago" for an RFC 3339 time (empty when unparsable or empty).
std::string age(const std::string& rfc3339);

}  // namespace ris::cli
