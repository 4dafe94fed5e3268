// Databases for tests, on the engine the test run asks for.
//
// CTest runs the tests that use this twice: once on SQLite, and once with
// RIS_TEST_POSTGRES_URL_FILE naming the URL of the throw-away PostgreSQL that
// scripts/pg-test-server started (the CTest fixture "postgres"). Each call makes a new, empty
// database there; all of them are dropped when the test process exits.
#pragma once
#include <filesystem>
#include <string>

#include "ris/store/store.hpp"

namespace ris::store::testing {

// postgres when RIS_TEST_POSTGRES_URL_FILE is set, otherwise sqlite.
Engine test_engine();

// A database URL (RIS_DATABASE_URL) for a fresh, empty database: on SQLite a file in `dir`;
// on PostgreSQL a new database on the test server. Throws std::runtime_error when the test
// server named by RIS_TEST_POSTGRES_URL_FILE cannot be reached: a test on PostgreSQL that
// cannot get one fails, it is never silently run on SQLite instead.
std::string fresh_database_url(const std::filesystem::path& dir);

}  // namespace ris::store::testing
