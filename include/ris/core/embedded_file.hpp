// A file compiled into the binary (SQL migrations, web assets); see cmake/embed.cmake.
#pragma once
#include <span>
#include <string_view>

namespace ris {
struct EmbeddedFile {
  std::string_view name;
  std::string_view data;
};
}  // namespace ris
