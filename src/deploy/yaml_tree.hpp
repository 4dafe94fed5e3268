// A YAML document as a plain tree with positions, so that only yaml_tree.cpp sees yaml-cpp and
// environments can be overlaid before anything is checked.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ris/deploy/deployment.hpp"

namespace ris::deploy::detail {

struct TreeEntry;

struct Tree {
  enum class Kind { null, scalar, map, seq };
  Kind kind = Kind::null;
  std::string scalar;
  bool quoted = false;  // a quoted scalar is always a string; a plain one may be a number or bool
  std::vector<TreeEntry> map;    // in file order
  std::vector<Position> key_at;  // where each map key is
  std::vector<Tree> seq;
  Position at;

  bool is_map() const { return kind == Kind::map; }
  const Tree* find(std::string_view key) const;
  Tree* find(std::string_view key);
};

struct TreeEntry {
  std::string first;  // the key
  Tree second;
};

struct Loaded {
  std::optional<Tree> tree;
  std::vector<Diagnostic> errors;  // syntax, duplicate keys, size and depth limits
};

inline constexpr size_t kMaxDocumentBytes = 4 << 20;
inline constexpr int kMaxDepth = 64;
inline constexpr size_t kMaxNodes = 200'000;  // after aliases are expanded

Loaded load_yaml(std::string_view text);

// `overlay` laid over `base`: maps merge key by key (recursively), anything else replaces.
void overlay(Tree& base, const Tree& overlay);

}  // namespace ris::deploy::detail
