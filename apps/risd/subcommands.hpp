// risd's offline subcommands, run instead of the server: `risd restore` and `risd admin`.
// Each takes the words after its name and returns the process's exit code (0 done, 1 failed,
// 2 wrong usage).
#pragma once
#include <string>
#include <vector>

namespace ris::risd {

// risd restore BACKUP.db --data-dir DIR [--force]: checks a backup and makes it DIR's database.
int run_restore(const std::vector<std::string>& args);
// risd admin reset-fleet-history --data-dir DIR --yes: deletes the history benchmarks pile up.
int run_admin(const std::vector<std::string>& args);

}  // namespace ris::risd
