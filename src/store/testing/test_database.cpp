#include "test_database.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

namespace ris::store::testing {
namespace {

std::string server_url() {
  const char* file = std::getenv("RIS_TEST_POSTGRES_URL_FILE");
  std::ifstream in(file ? file : "");
  std::string url;
  std::getline(in, url);
  if (url.empty()) {
    throw std::runtime_error(std::string("no PostgreSQL test server: cannot read ") +
                             (file ? file : "(RIS_TEST_POSTGRES_URL_FILE unset)") +
                             " (scripts/pg-test-server start DIR writes it)");
  }
  return url;
}

void admin(const std::string& sql) {
  PGconn* conn = PQconnectdb(server_url().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach the PostgreSQL test server: " + why);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string why = PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (!ok)
    throw std::runtime_error(sql + ": " + why);
}

// Drops this process's databases at exit (WITH FORCE: a risd child may still hold one).
struct Created {
  std::mutex mu;
  std::vector<std::string> names;
  ~Created() {
    for (const auto& n : names) {
      try {
        admin("DROP DATABASE IF EXISTS " + n + " WITH (FORCE)");
      } catch (const std::exception&) {
      }
    }
  }
};
Created& created() {
  static Created c;
  return c;
}

}  // namespace

Engine test_engine() {
  return std::getenv("RIS_TEST_POSTGRES_URL_FILE") ? Engine::postgres : Engine::sqlite;
}

std::string fresh_database_url(const std::filesystem::path& dir) {
  if (test_engine() == Engine::sqlite)
    return "sqlite:" + (dir / "ris.db").string();
  static std::atomic<int> counter{0};
  std::random_device rd;
  const std::string name = "ris_test_" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
  admin("CREATE DATABASE " + name);
  {
    std::lock_guard lock(created().mu);
    created().names.push_back(name);
  }
  std::string url = server_url();
  const auto slash = url.rfind('/');
  return url.substr(0, slash + 1) + name;
}

}  // namespace ris::store::testing
