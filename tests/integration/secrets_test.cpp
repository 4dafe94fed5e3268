// Secrets at rest, end to end on both engines: a TOTP secret, the JWT signing key and a service's
// secret_env value are nowhere in clear in the database (every column of every table and the
// raw SQLite files, or a pg_dump of the PostgreSQL database), the agent still gets the service
// secret in clear over the control channel, and after `risd admin rotate-master-key` risd starts
// again with a new key and everything still works.
#include <sqlite3.h>

#include "fleet_support.hpp"
#include "ris/security/random.hpp"
#include "ris/security/secret_box.hpp"
#include "ris/security/totp.hpp"
#include "store/testing/test_database.hpp"

namespace ris::test {
namespace {

constexpr std::string_view kPemMarker = "-----BEGIN PRIVATE KEY-----";

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Every value of every column of every table, as text (blobs as their bytes).
std::string sqlite_tables(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << file << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return {};
  }
  auto rows = [&](const std::string& sql, const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
      return;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
      row(st);
    sqlite3_finalize(st);
  };
  std::vector<std::string> tables;
  rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", [&](sqlite3_stmt* st) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  });
  std::string out;
  for (const auto& t : tables) {
    out += "-- table " + t + "\n";
    rows("SELECT * FROM \"" + t + "\"", [&](sqlite3_stmt* st) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const void* bytes = sqlite3_column_blob(st, i);
        out.append(static_cast<const char*>(bytes ? bytes : ""),
                   static_cast<size_t>(sqlite3_column_bytes(st, i)));
        out += '|';
      }
      out += '\n';
    });
  }
  sqlite3_close(db);
  EXPECT_TRUE(std::find(tables.begin(), tables.end(), "accounts") != tables.end()) << out;
  return out;
}

// Debian's, of the newest PostgreSQL installed (as scripts/pg-test-server picks its server).
std::string pg_dump_binary() {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& d : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
    if (std::filesystem::exists(d.path() / "bin" / "pg_dump"))
      found.push_back(d.path() / "bin" / "pg_dump");
  std::sort(found.begin(), found.end());
  return found.empty() ? "pg_dump" : found.back().string();
}

std::string read_line(const std::filesystem::path& file) {
  std::string line;
  std::ifstream in(file);
  std::getline(in, line);
  return line;
}

// The key ids in a master key file, current first.
std::vector<std::string> key_ids(const std::filesystem::path& file) {
  auto keys = security::parse_master_key_file(AgentProcess::read_file(file), file.string());
  EXPECT_TRUE(keys) << keys.error().message;
  std::vector<std::string> ids;
  for (const auto& k : keys ? *keys : std::vector<std::string>{})
    ids.push_back(security::master_key_id(k));
  return ids;
}

class Secrets : public FleetFixture {
 protected:
  bool postgres() const { return store::testing::test_engine() == store::Engine::postgres; }

  // Everything the database holds, from outside risd (which must be stopped).
  std::string database_dump() {
    const auto dir = risd_->data_dir();
    if (postgres()) {
      const std::string url = read_line(dir / "test-database-url");
      EXPECT_FALSE(url.empty());
      auto [code, out] = run_command(pg_dump_binary() + " --no-owner --dbname='" + url + "' 2>&1");
      EXPECT_EQ(code, 0) << out;
      EXPECT_TRUE(contains(out, "COPY public.accounts")) << out;
      return out;
    }
    // The files' bytes (the database, its write-ahead log and anything else beside them), then
    // every table read through SQLite.
    std::string out;
    for (const auto& f : std::filesystem::directory_iterator(dir))
      if (f.path().filename().string().starts_with("ris.db"))
        out += AgentProcess::read_file(f.path());
    EXPECT_FALSE(out.empty()) << "no ris.db in " << dir;
    return out + sqlite_tables(dir / "ris.db");
  }

  void expect_nothing_in_clear(const std::string& dump) {
    // The dump holds what the secrets sit beside: the accounts, the signing keys' public halves,
    // the services' specs.
    ASSERT_TRUE(contains(dump, "root@example.com"));
    ASSERT_TRUE(contains(dump, "-----BEGIN PUBLIC KEY-----"));
    ASSERT_TRUE(contains(dump, R"("MODE":"updated")"));
    ASSERT_TRUE(contains(dump, security::kSealedPrefix));
    EXPECT_FALSE(contains(dump, totp_secret_)) << "the TOTP secret is in clear";
    EXPECT_FALSE(contains(dump, service_secret_)) << "the service secret is in clear";
    EXPECT_FALSE(contains(dump, deploy_secret_)) << "the deployment secret is in clear";
    EXPECT_FALSE(contains(dump, kPemMarker)) << "a JWT private key is in clear";
  }

  // The service secret as the agent stored it in services.json: sealed there with the agent's
  // own key, so in clear as risd sent it.
  std::string agent_copy(const AgentProcess& agent) {
    const std::string text = AgentProcess::read_file(agent.state() / "services.json");
    if (text.empty())
      return "";
    EXPECT_FALSE(contains(text, service_secret_)) << text;
    auto box = security::SecretBox::load(agent.state() / "master.key");
    if (!box)
      return "";
    boost::json::error_code ec;
    auto services = json::parse(text, ec);
    if (ec || !services.is_array())
      return "";
    for (const auto& s : services.as_array()) {
      const auto* value = s.as_object()
                              .at("spec")
                              .as_object()
                              .at("secret_env")
                              .as_object()
                              .if_contains("DB_PASSWORD");
      if (!value)
        continue;
      auto plain = box->open(std::string_view(value->as_string()), "agent.services.secret_env");
      return plain ? *plain : "";
    }
    return "";
  }

  std::string totp_secret_;
  const std::string service_secret_ = "svc-" + security::random_token(12);
  const std::string deploy_secret_ = "dep-" + security::random_token(12);
};

TEST_F(Secrets, none_is_stored_in_clear_and_a_master_key_rotation_keeps_them_working) {
  // Two-factor sign-in for the administrator.
  auto begin = call("POST", "/api/v1/me/2fa/totp", token_,
                    json::object{{"password", "a long admin passphrase"}});
  ASSERT_EQ(begin.status, 200) << begin.body;
  totp_secret_ = std::string(json::parse(begin.body).at("secret").as_string());
  ASSERT_GE(totp_secret_.size(), 16u);
  ASSERT_EQ(call("POST", "/api/v1/me/2fa/totp/confirm", token_,
                 json::object{{"code", *security::totp_code(totp_secret_, unix_now() - 30)}})
                .status,
            200);

  // A service with a secret, for an agent (no Docker needed: it keeps the set it is sent).
  auto& agent = start_agent(join_token(), {"--docker-socket", "/nonexistent/docker.sock"});
  const std::string agent_id = agent.id();
  ASSERT_TRUE(eventually([&] { return online(agent_id); }));
  json::object spec{{"name", "vault"},
                    {"image", "busybox:ris"},
                    {"env", json::object{{"MODE", "plain"}}},
                    {"secret_env", json::object{{"DB_PASSWORD", service_secret_}}}};
  auto created = call("POST", "/api/v1/spaces/" + space_ + "/services", token_, spec);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_FALSE(contains(created.body, service_secret_));
  // Version 2, the secret sent back masked: the stored value is kept.
  spec["env"].as_object()["MODE"] = "updated";
  spec["secret_env"].as_object()["DB_PASSWORD"] = "********";
  auto updated = call("PUT", "/api/v1/spaces/" + space_ + "/services/vault", token_, spec);
  ASSERT_EQ(updated.status, 200) << updated.body;
  const std::string hash(json::parse(updated.body).at("hash").as_string());
  ASSERT_TRUE(eventually([&] {
    return contains(AgentProcess::read_file(agent.state() / "services.json"), "updated") &&
           agent_copy(agent) == service_secret_;
  })) << "the agent gets the secret in clear";

  // A deployment secret: its value is in no answer either.
  auto put = call("PUT", "/api/v1/spaces/" + space_ + "/deploy-secrets/db-password", token_,
                  {{"value", deploy_secret_}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(contains(put.body, deploy_secret_));
  auto listed = call("GET", "/api/v1/spaces/" + space_ + "/deploy-secrets", token_);
  EXPECT_TRUE(contains(listed.body, "db-password")) << listed.body;
  EXPECT_FALSE(contains(listed.body, deploy_secret_));
  // Used on an agent: the file gets the value, the task row keeps it sealed.
  const auto out_dir = new_dir();
  std::filesystem::create_directories(out_dir);
  const std::string file = "nodes: {box: {agent: " + agent_id +
                           "}}\nservices:\n  conf: {kind: config, on: box, config: {path: \"" +
                           (out_dir / "db.conf").string() +
                           "\", content: \"password=${secret:db-password}\"}}\n";
  auto applied =
      call("POST", "/api/v1/spaces/" + space_ + "/deployments/db/apply", token_, {{"file", file}});
  ASSERT_EQ(applied.status, 202) << applied.body;
  ASSERT_TRUE(eventually([&] {
    return AgentProcess::read_file(out_dir / "db.conf") == "password=" + deploy_secret_;
  })) << call("GET", "/api/v1/spaces/" + space_ + "/deployments/db/revisions/1", token_).body;

  const auto dir = risd_->data_dir();
  ASSERT_EQ(risd_->stop(SIGTERM, 15s), 0) << risd_->log();
  expect_nothing_in_clear(database_dump());

  // Rotation: one new key, every value re-sealed under it.
  const auto before = key_ids(dir / "master.key");
  ASSERT_EQ(before.size(), 1u);
  std::string env = "RIS_LOG_LEVEL=warn ";
  if (postgres())
    env += "RIS_DATABASE_URL='" + read_line(dir / "test-database-url") + "' ";
  auto [code, out] = run_command(env + RISD_BINARY + " admin rotate-master-key --data-dir " +
                                 dir.string() + " 2>&1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(contains(out, "accounts.totp_secret (TOTP secrets): 1 value re-sealed")) << out;
  EXPECT_TRUE(contains(out, "jwt_keys.private_pem (token signing keys): 1 value re-sealed")) << out;
  EXPECT_TRUE(contains(out,
                       "services.secret_env (service secrets, in every version of each "
                       "spec): 2 values re-sealed"))
      << out;
  EXPECT_TRUE(contains(out, "deploy_secrets.value (deployment secrets): 1 value re-sealed")) << out;
  EXPECT_TRUE(contains(out, "tasks.env (deployment secrets in agents' tasks): 1 value re-sealed"))
      << out;
  const auto after = key_ids(dir / "master.key");
  ASSERT_EQ(after.size(), 1u) << AgentProcess::read_file(dir / "master.key");
  EXPECT_NE(after[0], before[0]);

  // risd starts with the new key: signing key, TOTP secret and service secret all open.
  const std::string sealed_at_agent = AgentProcess::read_file(agent.state() / "services.json");
  RisdProcess again({"--listen", "127.0.0.1:" + std::to_string(port_)}, dir);
  again.start();
  EXPECT_EQ(call("GET", "/api/v1/spaces", token_).status, 200)
      << "a token signed before the rotation still verifies";
  auto without = call("POST", "/api/v1/auth/login", "",
                      {{"login", "admin"}, {"password", "a long admin passphrase"}});
  EXPECT_NE(without.status, 200) << without.body;
  auto with = call("POST", "/api/v1/auth/login", "",
                   {{"login", "admin"},
                    {"password", "a long admin passphrase"},
                    {"totp", *security::totp_code(totp_secret_, unix_now())}});
  EXPECT_EQ(with.status, 200) << with.body;
  auto vault = call("GET", "/api/v1/spaces/" + space_ + "/services/vault", token_);
  ASSERT_EQ(vault.status, 200) << vault.body;
  EXPECT_EQ(json::parse(vault.body).at("hash").as_string(), hash) << "no container to replace";
  EXPECT_TRUE(eventually(
      [&] {
        return AgentProcess::read_file(agent.state() / "services.json") != sealed_at_agent &&
               agent_copy(agent) == service_secret_;
      },
      60s))
      << "the agent reconnects and gets the secret in clear again";
  ASSERT_EQ(again.stop(SIGTERM, 15s), 0) << again.log();
  expect_nothing_in_clear(database_dump());
}

}  // namespace
}  // namespace ris::test
