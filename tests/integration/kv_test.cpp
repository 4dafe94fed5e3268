// The key-value store against a real risd (both engines): values of each kind, compare-and-set
// refusals as problem+json naming the revision, a long-poll watch woken by a write, risctl kv,
// and the limits.
#include <future>

#include "fleet_support.hpp"

namespace ris::test {
namespace {

using namespace std::chrono_literals;

class KvApi : public FleetFixture {
 protected:
  std::string kv(const std::string& rest = "") const {
    return "/api/v1/spaces/" + space_ + "/kv" + rest;
  }
  HttpResult put(const std::string& query, const std::string& body,
                 const std::string& type = "text/plain") {
    return https(port_, ca_file_, "PUT", kv(query), body,
                 {{"Content-Type", type}, {"Authorization", "Bearer " + token_}});
  }
  std::pair<int, std::string> ctl(const std::string& args) {
    return run_command("RISCTL_CONFIG=" + config_.string() + " " + RISCTL_BINARY + " " + args +
                       " < /dev/null");
  }
  std::filesystem::path config_;
};

TEST_F(KvApi, values_revisions_and_compare_and_set_over_rest) {
  auto first = put("?key=config/web/port", "8080");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body).at("mod_revision"), 1);
  auto js = put("?key=config/web/limits", R"({"rps": 100})", "application/json");
  ASSERT_EQ(js.status, 200) << js.body;
  auto got = call("GET", kv("?key=config/web/limits"), token_);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(json::parse(got.body).at("value").at("rps"), 100);
  auto raw = https(port_, ca_file_, "GET", kv("?key=config/web/port&raw=true"), "",
                   {{"Authorization", "Bearer " + token_}});
  EXPECT_EQ(raw.body, "8080");
  EXPECT_EQ(raw.headers["x-ris-revision"], "1");

  // A stale compare-and-set: 409, problem+json, the revision the key is at.
  auto stale = put("?key=config/web/port&expected_revision=7", "9090");
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.headers["content-type"], "application/problem+json");
  EXPECT_NE(stale.body.find("is at revision 1 (expected 7)"), std::string::npos) << stale.body;
  EXPECT_EQ(put("?key=config/web/port&expected_revision=1", "9090").status, 200);
  EXPECT_EQ(put("?key=config/web/port&create_only=true", "1").status, 409);

  // Bad input.
  EXPECT_EQ(put("?key=j", "{nope", "application/json").status, 400);
  EXPECT_EQ(put("", "v").status, 400);
  EXPECT_EQ(put("?key=x&ttl_seconds=0", "v").status, 400);
  // (A value over 1 MiB is refused by the HTTP layer's body limit before it is read; the unit
  // test checks Kv's own limit. The connection is closed while the client still sends: issue 23.)
  EXPECT_EQ(call("GET", kv("?key=nothing"), token_).status, 404);

  // The list, the history, and an audit entry per write.
  auto list = call("GET", kv("?prefix=config/"), token_);
  EXPECT_EQ(json::parse(list.body).at("items").as_array().size(), 2u);
  auto history = call("GET", kv("/history?key=config/web/port"), token_);
  EXPECT_EQ(json::parse(history.body).at("items").as_array().size(), 2u);
  auto audit = call("GET", "/api/v1/spaces/" + space_ + "/audit?action=kv.put", token_);
  EXPECT_NE(audit.body.find("config/web/port"), std::string::npos);
}

TEST_F(KvApi, a_watch_waits_for_the_next_change_and_resumes_from_its_revision) {
  ASSERT_EQ(put("?key=app/a", "1").status, 200);
  // Waiting for a change after revision 1: it comes back when app/b is written.
  auto waiting = std::async(std::launch::async, [&] {
    return call("GET", kv("/changes?prefix=app/&after_revision=1&wait_seconds=20"), token_);
  });
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(waiting.wait_for(0s), std::future_status::timeout) << "nothing to answer yet";
  ASSERT_EQ(put("?key=app/b", "2").status, 200);
  ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
  auto page = json::parse(waiting.get().body).as_object();
  ASSERT_EQ(page.at("items").as_array().size(), 1u);
  EXPECT_EQ(page.at("items").as_array()[0].at("key"), "app/b");
  EXPECT_EQ(page.at("revision"), 2);
  // Another prefix's writes do not answer a watch on this one; its deadline does, with none.
  auto quiet = call("GET", kv("/changes?prefix=other/&after_revision=2&wait_seconds=1"), token_);
  ASSERT_EQ(quiet.status, 200);
  EXPECT_TRUE(json::parse(quiet.body).at("items").as_array().empty());
  // Many watchers at once do not hold the API up.
  std::vector<std::future<HttpResult>> many;
  for (int i = 0; i < 12; ++i)
    many.push_back(std::async(std::launch::async, [&] {
      return call("GET", kv("/changes?after_revision=2&wait_seconds=15"), token_);
    }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(call("GET", kv("?key=app/a"), token_).status, 200);
  ASSERT_EQ(put("?key=app/c", "3").status, 200);
  for (auto& f : many)
    EXPECT_EQ(json::parse(f.get().body).at("items").as_array().size(), 1u);
}

TEST_F(KvApi, risctl_puts_gets_lists_and_watches) {
  config_ = risctl_signed_in();
  auto [put1, put1_out] = ctl("kv put config/port 8080");
  EXPECT_EQ(put1, 0) << put1_out;
  EXPECT_EQ(put1_out, "key/config/port at revision 1\n");
  auto [stale, stale_out] = ctl("kv put config/port 1 --expected-revision 5");
  EXPECT_EQ(stale, 1);
  EXPECT_NE(stale_out.find("is at revision 1 (expected 5)"), std::string::npos) << stale_out;
  auto [get, get_out] = ctl("kv get config/port");
  EXPECT_EQ(get_out, "8080\n");
  // A watch from revision 1 prints what follows, in order.
  const auto log = dirs_.back() / "watch.log";
  run_command("RISCTL_CONFIG=" + config_.string() + " timeout -s INT 20 " + RISCTL_BINARY +
              " kv watch config/ --from-revision 1 > " + log.string() + " 2>&1 &");
  std::this_thread::sleep_for(1s);
  ctl("kv put config/host web-1");
  ctl("kv delete config/port");
  EXPECT_TRUE(eventually(
      [&] {
        const auto out = AgentProcess::read_file(log);
        return out.find("2 put config/host web-1\n3 delete config/port\n") != std::string::npos;
      },
      15s))
      << AgentProcess::read_file(log);
  run_command("pkill -INT -f 'kv watch config/'");
  auto [ls, ls_out] = ctl("kv ls config/");
  EXPECT_NE(ls_out.find("config/host"), std::string::npos) << ls_out;
  EXPECT_EQ(ls_out.find("config/port"), std::string::npos) << ls_out;
}

}  // namespace
}  // namespace ris::test
