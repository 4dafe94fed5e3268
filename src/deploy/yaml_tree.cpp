#include "yaml_tree.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace ris::deploy::detail {
namespace {

Position position_of(const YAML::Mark& m) {
  if (m.is_null())
    return {};
  return {m.line + 1, m.column + 1};
}

struct Converter {
  Loaded& out;
  size_t nodes = 0;
  bool stopped = false;

  void error(Position at, std::string message) { out.errors.push_back({at, std::move(message)}); }

  Tree convert(const YAML::Node& n, int depth) {
    Tree t;
    t.at = position_of(n.Mark());
    if (stopped)
      return t;
    if (++nodes > kMaxNodes) {
      // Aliases can make a small file huge ("billion laughs"): refuse instead of expanding.
      error(t.at, fmt::format("the document has more than {} values (counting what aliases "
                              "repeat); split it",
                              kMaxNodes));
      stopped = true;
      return t;
    }
    if (depth > kMaxDepth) {
      error(t.at, fmt::format("nested deeper than {} levels", kMaxDepth));
      stopped = true;
      return t;
    }
    switch (n.Type()) {
      case YAML::NodeType::Scalar:
        t.kind = Tree::Kind::scalar;
        t.scalar = n.Scalar();
        t.quoted = n.Tag() == "!";
        break;
      case YAML::NodeType::Sequence:
        t.kind = Tree::Kind::seq;
        for (const auto& item : n)
          t.seq.push_back(convert(item, depth + 1));
        break;
      case YAML::NodeType::Map:
        t.kind = Tree::Kind::map;
        for (const auto& kv : n) {
          const Position key_at = position_of(kv.first.Mark());
          if (!kv.first.IsScalar()) {
            error(key_at, "a key must be a plain string");
            continue;
          }
          const std::string key = kv.first.Scalar();
          if (t.find(key) != nullptr) {
            error(key_at, fmt::format("duplicate key '{}'", key));
            continue;
          }
          t.map.push_back({key, convert(kv.second, depth + 1)});
          t.key_at.push_back(key_at);
        }
        break;
      default:
        t.kind = Tree::Kind::null;
    }
    return t;
  }
};

}  // namespace

const Tree* Tree::find(std::string_view key) const {
  for (const auto& [k, v] : map)
    if (k == key)
      return &v;
  return nullptr;
}

Tree* Tree::find(std::string_view key) {
  for (auto& [k, v] : map)
    if (k == key)
      return &v;
  return nullptr;
}

Loaded load_yaml(std::string_view text) {
  Loaded out;
  if (text.size() > kMaxDocumentBytes) {
    out.errors.push_back({{1, 1}, fmt::format("the file is over {} MiB", kMaxDocumentBytes >> 20)});
    return out;
  }
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    Converter c{out};
    Tree t = c.convert(root, 0);
    if (out.errors.empty())
      out.tree = std::move(t);
  } catch (const YAML::Exception& e) {
    out.errors.push_back({position_of(e.mark), e.msg});
  }
  return out;
}

void overlay(Tree& base, const Tree& over) {
  if (!base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  for (size_t i = 0; i < over.map.size(); ++i) {
    const auto& [key, value] = over.map[i];
    if (Tree* mine = base.find(key)) {
      overlay(*mine, value);
    } else {
      base.map.push_back({key, value});
      base.key_at.push_back(over.key_at[i]);
    }
  }
}

}  // namespace ris::deploy::detail
