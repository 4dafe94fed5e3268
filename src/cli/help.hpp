#pragma once
#include <string>

namespace ris::cli {
const std::string& top_help();
const std::string* command_help(const std::string& command);  // nullptr: no such command
}  // namespace ris::cli
