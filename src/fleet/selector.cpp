#include "ris/fleet/selector.hpp"

#include <algorithm>
#include <cctype>

namespace ris::fleet {
namespace {
bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '/';
}

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  Result<Selector> parse() {
    Selector s;
    skip();
    if (pos_ == t_.size())
      return s;
    while (true) {
      RIS_TRY(auto r, requirement());
      s.requirements.push_back(std::move(r));
      skip();
      if (pos_ == t_.size())
        return s;
      if (t_[pos_] != ',')
        return error("expected ','");
      ++pos_;
      if (s.requirements.size() >= 64)
        return error("too many requirements");
    }
  }

 private:
  Failure error(std::string what) {
    return fail(Errc::invalid_argument,
                "bad selector at position " + std::to_string(pos_) + ": " + what);
  }
  void skip() {
    while (pos_ < t_.size() && t_[pos_] == ' ')
      ++pos_;
  }
  Result<std::string> word() {
    skip();
    const size_t start = pos_;
    while (pos_ < t_.size() && word_char(t_[pos_]))
      ++pos_;
    if (pos_ == start)
      return error("expected a label key or value");
    if (pos_ - start > 63)
      return error("labels are at most 63 characters");
    return std::string(t_.substr(start, pos_ - start));
  }
  bool keyword(std::string_view kw) {
    skip();
    if (t_.substr(pos_, kw.size()) == kw &&
        (pos_ + kw.size() == t_.size() || !word_char(t_[pos_ + kw.size()]))) {
      pos_ += kw.size();
      return true;
    }
    return false;
  }
  Result<Requirement> requirement() {
    Requirement r;
    skip();
    if (pos_ < t_.size() && t_[pos_] == '!') {
      ++pos_;
      RIS_TRY(r.key, word());
      r.op = Requirement::Op::not_exists;
      return r;
    }
    RIS_TRY(r.key, word());
    skip();
    if (t_.substr(pos_, 2) == "!=") {
      pos_ += 2;
      r.op = Requirement::Op::not_equals;
      RIS_TRY(auto v, word());
      r.values.push_back(std::move(v));
    } else if (t_.substr(pos_, 2) == "==" || (pos_ < t_.size() && t_[pos_] == '=')) {
      pos_ += t_.substr(pos_, 2) == "==" ? 2 : 1;
      r.op = Requirement::Op::equals;
      RIS_TRY(auto v, word());
      r.values.push_back(std::move(v));
    } else if (keyword("notin") || keyword("not in")) {
      r.op = Requirement::Op::not_in;
      RIS_TRY_VOID(list(r));
    } else if (keyword("in")) {
      r.op = Requirement::Op::in;
      RIS_TRY_VOID(list(r));
    }
    return r;
  }
  Result<void> list(Requirement& r) {
    skip();
    if (pos_ >= t_.size() || t_[pos_] != '(')
      return error("expected '('");
    ++pos_;
    while (true) {
      RIS_TRY(auto v, word());
      r.values.push_back(std::move(v));
      skip();
      if (pos_ < t_.size() && t_[pos_] == ')') {
        ++pos_;
        return {};
      }
      if (pos_ >= t_.size() || t_[pos_] != ',')
        return error("expected ',' or ')'");
      ++pos_;
      if (r.values.size() >= 64)
        return error("too many values");
    }
  }

  std::string_view t_;
  size_t pos_ = 0;
};
}  // namespace

Result<Selector> parse_selector(std::string_view text) {
  if (text.size() > 4096)
    return fail(Errc::invalid_argument, "selector is too long");
  return Parser(text).parse();
}

bool Selector::matches(const Labels& labels) const {
  for (const auto& r : requirements) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case Requirement::Op::exists:
        if (!has)
          return false;
        break;
      case Requirement::Op::not_exists:
        if (has)
          return false;
        break;
      case Requirement::Op::equals:
      case Requirement::Op::in:
        if (!in)
          return false;
        break;
      case Requirement::Op::not_equals:
      case Requirement::Op::not_in:
        if (in)
          return false;
        break;
    }
  }
  return true;
}

Result<void> validate_label(std::string_view key, std::string_view value) {
  auto ok = [](std::string_view s) {
    return !s.empty() && s.size() <= 63 && std::all_of(s.begin(), s.end(), word_char);
  };
  if (!ok(key) || !std::isalnum(static_cast<unsigned char>(key[0])))
    return fail(Errc::invalid_argument,
                "label key \"" + std::string(key) + "\" must be 1-63 of [A-Za-z0-9._-/]");
  if (!ok(value))
    return fail(Errc::invalid_argument,
                "label value \"" + std::string(value) + "\" must be 1-63 of [A-Za-z0-9._-/]");
  return {};
}

}  // namespace ris::fleet
