// risctl backup create [-o FILE]: a consistent online backup of risd's SQLite database
// (POST /api/v1/admin/backups, application administrators), written to FILE with mode 0600.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "help.hpp"
#include "ris/security/digest.hpp"
#include "ris/security/secure_file.hpp"
#include "session.hpp"

namespace ris::cli {
namespace {

// Copying a large database takes a while before the first byte comes back.
constexpr std::chrono::minutes kBackupTimeout{10};

// The server's own name pattern, for when no file is given: ris-backup-<UTC time>.db.
std::string default_file_name() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char name[64];
  std::strftime(name, sizeof name, "ris-backup-%Y%m%dT%H%M%SZ.db", &utc);
  return name;
}

std::string mib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

}  // namespace

int cmd_backup(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() != 2 || p[1] != "create")
    return std::cerr << *command_help("backup"), 2;
  // risctl's HTTPS client does not hand response headers back, so the name the server gives
  // in Content-Disposition is made here the same way.
  const std::string file = s.args.get("output", default_file_name());
  auto api = s.api();
  if (!api)
    return s.error(api.error().message);
  if (s.tty_err)
    std::cerr << "Taking a backup of " << api->server() << " …\n";
  auto reply = api->download("POST", "/api/v1/admin/backups", kBackupTimeout);
  if (!reply) {
    const std::string& why = reply.error().message;
    if (why.find("body limit") != std::string::npos)
      return s.error(
          "the backup is larger than risctl receives (64 MiB): use the server's scheduled "
          "backups instead (risd --backup-interval, see docs/operations.md)");
    return s.error(why);
  }
  if (reply->content_type != "application/octet-stream")
    return s.error("the server answered " + reply->content_type + ", not a database file");
  const std::string sha256 = security::sha256_hex(reply->body);
  if (file == "-") {
    std::cout.write(reply->body.data(), static_cast<std::streamsize>(reply->body.size()));
    std::cout.flush();
  } else if (auto r = security::write_file_atomic(file, reply->body, 0600); !r) {
    return s.error(r.error().message);
  }
  // With -o - the file is on standard output, so the report goes to standard error.
  std::ostream& out = file == "-" ? std::cerr : std::cout;
  out << "Backup of " << api->server() << " written to "
      << (file == "-" ? std::string("standard output") : file) << " (" << mib(reply->body.size())
      << ", sha256 " << sha256 << ").\n"
      << "Restore it with: risd restore " << (file == "-" ? "FILE" : file)
      << " --data-dir NEW_DIR (see docs/operations.md)\n";
  return 0;
}

}  // namespace ris::cli
