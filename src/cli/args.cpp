#include "args.hpp"

#include <charconv>

namespace ris::cli {
namespace {
std::string long_name(std::string_view short_flag) {
  static const std::map<std::string, std::string, std::less<>> aliases{
      {"o", "output"}, {"l", "selector"}, {"w", "watch"}, {"f", "file"},
      {"h", "help"},   {"s", "space"},    {"F", "follow"}};
  auto it = aliases.find(short_flag);
  return it == aliases.end() ? std::string(short_flag) : it->second;
}
}  // namespace

Result<int64_t> parse_int(std::string_view text, std::string_view what, int64_t min) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min)
    return fail(Errc::invalid_argument,
                std::string(what) + " must be a whole number" +
                    (min > 0 ? " of at least " + std::to_string(min) : std::string(" ≥ 0")) +
                    ", got \"" + std::string(text) + "\"");
  return n;
}

Result<int64_t> Args::get_int(std::string_view flag, int64_t fallback, int64_t min) const {
  auto it = flags.find(flag);
  if (it == flags.end())
    return fallback;
  return parse_int(it->second, "--" + std::string(flag), min);
}

Result<Args> parse_args(const std::vector<std::string>& words, const FlagSpec& spec) {
  Args out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") {
      out.dashdash = true;
      out.command.assign(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end());
      break;
    }
    if (w.size() < 2 || w[0] != '-' || (w[1] >= '0' && w[1] <= '9')) {
      out.positional.push_back(w);
      continue;
    }
    std::string name, value;
    bool inline_value = false;
    if (w.starts_with("--")) {
      name = w.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        inline_value = true;
      }
    } else {
      name = long_name(w.substr(1));
    }
    if (spec.boolean.contains(name)) {
      if (inline_value && value != "true" && value != "false")
        return fail(Errc::invalid_argument, "--" + name + " takes no value");
      out.flags[name] = inline_value ? value : "true";
      continue;
    }
    if (!spec.valued.contains(name))
      return fail(Errc::invalid_argument, "unknown flag " + w + " (see --help)");
    if (!inline_value) {
      if (i + 1 >= words.size())
        return fail(Errc::invalid_argument, "--" + name + " needs a value");
      value = words[++i];
    }
    out.flags[name] = value;
  }
  return out;
}

}  // namespace ris::cli
