// The scripts of deployment steps, run by a real sh on this machine.
#include "step_scripts.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace ris::deploy {
namespace {
namespace json = boost::json;

int run_sh(const std::string& script) {
  return std::system(("sh -c " + sh_quote(script) + " >/dev/null 2>&1").c_str());
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class StepScripts : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ris-steps-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StepScripts, a_config_file_is_placed_with_its_content_and_mode_then_reloaded) {
  const auto path = dir_ / "etc" / "app's.conf";
  const std::string content = "a = 'quoted' \"double\" $HOME `cmd` \\n\nline two\n";
  json::object spec{{"kind", "config"},
                    {"config", json::object{{"path", path.string()},
                                            {"content", content},
                                            {"mode", "0600"},
                                            {"reload", "touch " + (dir_ / "reloaded").string()}}}};
  ASSERT_EQ(run_sh(action_script("create", spec)), 0);
  EXPECT_EQ(slurp(path), content);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "reloaded"));
  ASSERT_EQ(run_sh(action_script("remove", spec)), 0);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(StepScripts, a_shell_unit_places_files_installs_stops_on_update_and_starts) {
  const auto log = (dir_ / "log").string();
  json::object spec{
      {"kind", "shell"},
      {"shell",
       json::object{{"install", "echo install >> " + log},
                    {"stop", "echo stop >> " + log},
                    {"start", "echo start >> " + log},
                    {"files", json::array{json::object{{"path", (dir_ / "unit.env").string()},
                                                       {"content", "PORT=8080\n"}}}}}}};
  std::filesystem::create_directories(dir_);
  ASSERT_EQ(run_sh(action_script("create", spec)), 0);
  ASSERT_EQ(run_sh(action_script("update", spec)), 0);
  ASSERT_EQ(run_sh(action_script("remove", spec)), 0);
  EXPECT_EQ(slurp(log), "install\nstart\ninstall\nstop\nstart\nstop\n");
  EXPECT_EQ(slurp(dir_ / "unit.env"), "PORT=8080\n");
}

TEST_F(StepScripts, a_failing_command_stops_the_step) {
  json::object spec{{"kind", "shell"},
                    {"shell", json::object{{"install", "false"},
                                           {"start", "touch " + (dir_ / "started").string()}}}};
  std::filesystem::create_directories(dir_);
  EXPECT_NE(run_sh(action_script("create", spec)), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "started"));
}

// A secret reaches the script as a variable: the script's text never holds its value, and a
// value full of quotes and dollars lands in the file unchanged.
TEST_F(StepScripts, secret_references_become_variables_in_files_and_commands) {
  const auto path = dir_ / "db.conf";
  json::object spec{
      {"kind", "shell"},
      {"shell",
       json::object{{"start", "echo \"${secret:db-pass}\" > " + (dir_ / "started").string()},
                    {"files", json::array{json::object{
                                  {"path", path.string()},
                                  {"content", "user=app\npass=${secret:db-pass}\n"}}}}}}};
  EXPECT_EQ(secrets_used(spec), std::set<std::string>{"db-pass"});
  EXPECT_EQ(secret_variable("db-pass"), "RIS_SECRET_DB_PASS");
  const std::string script = action_script("create", spec);
  EXPECT_EQ(script.find("${secret:"), std::string::npos) << script;
  const std::string value = "it's $HOME \"and\" `x`";
  ASSERT_EQ(
      run_sh("RIS_SECRET_DB_PASS=" + sh_quote(value) + "; export RIS_SECRET_DB_PASS\n" + script),
      0);
  EXPECT_EQ(slurp(path), "user=app\npass=" + value + "\n");
  EXPECT_EQ(slurp(dir_ / "started"), value + "\n");
}

std::string run_sh_output(const std::string& script) {
  auto* pipe = ::popen(("sh -c " + sh_quote(script) + " 2>&1").c_str(), "r");
  std::string out;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe))
    out.append(buf, n);
  ::pclose(pipe);
  return out;
}

TEST_F(StepScripts, a_drift_check_finds_what_changed_behind_its_back_and_repair_puts_it_back) {
  const auto path = dir_ / "app.conf";
  json::object spec{{"kind", "config"},
                    {"config", json::object{{"path", path.string()},
                                            {"content", "port=1\n"},
                                            {"mode", "0640"},
                                            {"reload", "touch " + (dir_ / "reloaded").string()}}}};
  EXPECT_EQ(run_sh_output(drift_script(spec, false)), "drifted: missing\n");
  ASSERT_EQ(run_sh(action_script("create", spec)), 0);
  EXPECT_EQ(run_sh_output(drift_script(spec, false)), "in sync\n");
  std::ofstream(path) << "port=2\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  EXPECT_EQ(run_sh_output(drift_script(spec, false)), "drifted: content, mode\n");
  std::filesystem::remove(dir_ / "reloaded");
  EXPECT_EQ(run_sh_output(drift_script(spec, true)), "repaired: content, mode\n");
  EXPECT_EQ(slurp(path), "port=1\n");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "reloaded"));
  EXPECT_EQ(run_sh_output(drift_script(spec, false)), "in sync\n");
}

TEST(StepScriptsHealth, a_command_or_an_http_check) {
  EXPECT_EQ(health_script({{"health", json::object{{"command", "pg_isready"}}}}), "pg_isready");
  EXPECT_EQ(health_script({{"health", json::object{{"http", "http://127.0.0.1:8/h"},
                                                   {"timeout_seconds", 3}}}}),
            "curl -fsS -m 3 -o /dev/null 'http://127.0.0.1:8/h'");
  EXPECT_EQ(health_script({}), "");
}

}  // namespace
}  // namespace ris::deploy
