// services.json keeps secret values sealed: none in clear on disk, an older agent's plaintext
// file read and rewritten sealed, and a file sealed under another key never acted on.
#include "desired_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <thread>

#include "reconciler.hpp"

namespace ris::agent {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kSecret = "hunter2-db-password";
constexpr std::string_view kOtherSecret = "s3cr3t-api-token";

class DesiredFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ris-agent-desired-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static json::array services() {
    return json::parse(R"([{"id": "svc-1", "version": 3, "hash": "abc", "state": "running",
                            "spec": {"name": "db", "image": "postgres:15",
                                     "env": {"POSTGRES_DB": "app"},
                                     "secret_env": {"POSTGRES_PASSWORD": ")" +
                       std::string(kSecret) + R"(", "API_TOKEN": ")" + std::string(kOtherSecret) +
                       R"("}}},
                           {"id": "svc-2", "version": 1, "hash": "def", "state": "running",
                            "spec": {"name": "web", "image": "nginx"}}])")
        .as_array();
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  security::SecretBox box(const std::string& name = "master.key") {
    auto b = security::SecretBox::load_or_create(dir_ / name);
    EXPECT_TRUE(b) << b.error().message;
    return std::move(*b);
  }
  fs::path file() const { return dir_ / kDesiredFile; }
  fs::path dir_;
};

TEST_F(DesiredFileTest, no_secret_value_appears_in_clear_in_the_file) {
  const auto b = box();
  ASSERT_TRUE(save_desired_services(file(), services(), b));
  const std::string text = read(file());
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(kOtherSecret), std::string::npos) << text;
  EXPECT_NE(text.find("ris:enc:v1:" + b.current_key_id() + ":"), std::string::npos);
  EXPECT_NE(text.find("POSTGRES_PASSWORD"), std::string::npos) << "names stay readable";
  EXPECT_NE(text.find("\"POSTGRES_DB\":\"app\""), std::string::npos) << "plain env stays";
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto loaded = load_desired_services(file(), b);
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_TRUE(*loaded);
  EXPECT_EQ((*loaded)->services, services());
  EXPECT_FALSE((*loaded)->had_plaintext);
}

TEST_F(DesiredFileTest, a_file_sealed_under_another_key_is_an_error_not_an_empty_set) {
  ASSERT_TRUE(save_desired_services(file(), services(), box("old.key")));
  auto loaded = load_desired_services(file(), box());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("not in the master key file"), std::string::npos);
  EXPECT_EQ(loaded.error().message.find(kSecret), std::string::npos);
}

TEST_F(DesiredFileTest, a_missing_or_broken_file_is_an_empty_start) {
  const auto b = box();
  auto none = load_desired_services(file(), b);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  std::ofstream(file()) << "{not json";
  fs::permissions(file(), fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
  auto broken = load_desired_services(file(), b);
  ASSERT_TRUE(broken);
  EXPECT_FALSE(*broken);
}

// The reconciler at start: an older agent's plaintext file is rewritten sealed (Docker is not
// reachable here, which only makes its passes report an error).
TEST_F(DesiredFileTest, the_reconciler_rewrites_an_older_agents_plaintext_file_sealed) {
  std::ofstream(file()) << json::serialize(services());
  fs::permissions(file(), fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
  ASSERT_NE(read(file()).find(kSecret), std::string::npos);
  const auto b = box();
  DockerClient docker((dir_ / "no-docker.sock").string());
  std::atomic<int> reports{0};
  {
    Reconciler r(
        docker, b, {"agent-1", "space-1", dir_, std::chrono::milliseconds(50)},
        [](const std::string&) -> Result<ImageArchive> {
          return fail(Errc::not_found, "no archives here");
        },
        [&](json::object) { ++reports; });
    r.start();
    r.stop();
  }
  const std::string text = read(file());
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(kOtherSecret), std::string::npos) << text;
  auto loaded = load_desired_services(file(), b);
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->services, services());
}

TEST_F(DesiredFileTest, the_reconciler_does_nothing_until_risd_sends_a_set_it_can_use) {
  ASSERT_TRUE(save_desired_services(file(), services(), box("old.key")));
  const auto b = box();
  DockerClient docker((dir_ / "no-docker.sock").string());
  std::atomic<int> reports{0};
  Reconciler r(
      docker, b, {"agent-1", "space-1", dir_, std::chrono::milliseconds(20)},
      [](const std::string&) -> Result<ImageArchive> {
        return fail(Errc::not_found, "no archives here");
      },
      [&](json::object) { ++reports; });
  r.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(reports.load(), 0) << "no pass over a set it could not read";
  r.set_desired(services());
  for (int i = 0; i < 200 && reports.load() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  r.stop();
  EXPECT_GT(reports.load(), 0);
  EXPECT_EQ(read(file()).find(kSecret), std::string::npos);
  EXPECT_TRUE(load_desired_services(file(), b)) << "now sealed under the agent's current key";
}

}  // namespace
}  // namespace ris::agent
