// Label selectors, Kubernetes style: "env=prod,role in (db,cache),!canary,zone!=eu,gpu".
// Requirements are ANDed. Parses user input from the API: fuzzed (fuzz_selector).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::fleet {

using Labels = std::map<std::string, std::string>;

struct Requirement {
  enum class Op { equals, not_equals, in, not_in, exists, not_exists };
  std::string key;
  Op op = Op::exists;
  std::vector<std::string> values;
};

struct Selector {
  std::vector<Requirement> requirements;  // empty: matches everything
  bool matches(const Labels& labels) const;
};

Result<Selector> parse_selector(std::string_view text);
// Keys and values: 1..63 of [A-Za-z0-9._-/]; keys start with a letter or digit.
Result<void> validate_label(std::string_view key, std::string_view value);

}  // namespace ris::fleet
