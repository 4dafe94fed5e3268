// Where SQLite and PostgreSQL must be spoken differently: the small hooks a repository asks.
//
// Most SQL is written once for both engines (ON CONFLICT … DO NOTHING / DO UPDATE, RETURNING,
// COALESCE, standard aggregates). What remains differs here, and only repositories call it —
// never handlers or domain logic.
#pragma once
#include <string>
#include <string_view>

#include "ris/store/store.hpp"

namespace ris::store::dialect {

// Concatenates `expr` over a group with commas: group_concat(expr) / string_agg(expr, ',').
inline std::string group_concat(Engine e, std::string_view expr) {
  return e == Engine::sqlite ? "group_concat(" + std::string(expr) + ")"
                             : "string_agg(" + std::string(expr) + ", ',')";
}

}  // namespace ris::store::dialect
