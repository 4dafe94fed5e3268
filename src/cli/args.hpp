// Command-line arguments for risctl: positional words, --flags (with values or boolean) and the
// words after "--" (a command to run remotely). Unknown flags are errors, not silently ignored.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ris/core/result.hpp"

namespace ris::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> flags;  // name without dashes → value
  std::vector<std::string> command;                       // after "--"
  bool dashdash = false;

  bool has(std::string_view flag) const { return flags.contains(flag); }
  std::string get(std::string_view flag, std::string fallback = {}) const {
    auto it = flags.find(flag);
    return it == flags.end() ? fallback : it->second;
  }
  // --flag as a whole number of at least `min` (`fallback` when absent).
  Result<int64_t> get_int(std::string_view flag, int64_t fallback, int64_t min = 0) const;
};

// `text` as a whole number of at least `min`; the error names `what`.
Result<int64_t> parse_int(std::string_view text, std::string_view what, int64_t min = 0);

struct FlagSpec {
  std::set<std::string, std::less<>> valued;  // take a value: --output json, --output=json, -o json
  std::set<std::string, std::less<>> boolean;  // --watch, -w
};

// Short forms: -o output, -l selector, -w watch, -f file, -h help, -s space, -F follow.
Result<Args> parse_args(const std::vector<std::string>& words, const FlagSpec& spec);

}  // namespace ris::cli
