// The key-value store on a real store (both engines): revisions, create-only and
// compare-and-set puts and deletes, prefix listing with pages, history, TTLs and their expiry,
// the change log a watch reads (in order, no gap), permissions and bad input.
#include "ris/kv/kv.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "identity/test_space.hpp"
#include "store/test_support.hpp"
#include "store/testing/test_database.hpp"

namespace ris::kv {
namespace {
using namespace std::chrono_literals;

class KvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store(store::testing::fresh_database_url(dir_.path()), dir_.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    access_ = identity::testing::admin_space(*store_, "ops");
    kv_ = std::make_unique<Kv>(*store_, nullptr);
  }
  Written put(std::string_view key, std::string value, PutOptions o = {}) {
    auto w = kv_->put(access_, key, std::move(value), "text/plain", o);
    EXPECT_TRUE(w) << (w ? "" : w.error().message);
    return w ? *w : Written{};
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  identity::SpaceAccess access_;
  std::unique_ptr<Kv> kv_;
};

TEST_F(KvTest, every_write_raises_the_space_revision_and_keys_keep_theirs) {
  EXPECT_EQ(put("a", "1").revision, 1);
  EXPECT_EQ(put("b", "2").revision, 2);
  const auto again = put("a", "3");
  EXPECT_EQ(again.revision, 3);
  EXPECT_EQ(again.entry.create_revision, 1);
  EXPECT_EQ(again.entry.mod_revision, 3);
  EXPECT_EQ(again.entry.version, 2);
  auto got = kv_->get(access_, "a");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value, "3");
  EXPECT_EQ(got->content_type, "text/plain");
}

TEST_F(KvTest, create_only_and_compare_and_set_refuse_a_stale_writer) {
  put("config/port", "80", {.create_only = true});
  auto twice = kv_->put(access_, "config/port", "81", "", {.create_only = true});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::conflict);
  EXPECT_EQ(twice.error().message, "\"config/port\" exists (revision 1)");
  // Two writers read revision 1; the first to write wins, the second is told the revision now.
  put("config/port", "8080", {.expected_revision = 1});
  auto stale = kv_->put(access_, "config/port", "9090", "", {.expected_revision = 1});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::conflict);
  EXPECT_EQ(stale.error().message, "\"config/port\" is at revision 2 (expected 1)");
  // expected_revision 0: only if absent.
  EXPECT_FALSE(kv_->put(access_, "config/port", "1", "", {.expected_revision = 0}));
  EXPECT_TRUE(kv_->put(access_, "config/host", "x", "", {.expected_revision = 0}));
  // Deletes compare too.
  auto del = kv_->remove(access_, "config/port", 1);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, Errc::conflict);
  EXPECT_TRUE(kv_->remove(access_, "config/port", 2));
  EXPECT_EQ(kv_->get(access_, "config/port").error().code, Errc::not_found);
  EXPECT_EQ(kv_->remove(access_, "config/port", std::nullopt).error().code, Errc::not_found);
}

TEST_F(KvTest, keys_list_by_prefix_in_pages) {
  for (const char* k : {"app/a", "app/b", "app/c", "apq", "db/x"})
    put(k, "v");
  auto first = kv_->list(access_, "app/", "", 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].key, "app/a");
  EXPECT_EQ(first->revision, 5);  // where a watch of what follows starts
  auto next = kv_->list(access_, "app/", first->items.back().key, 2);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->items.size(), 1u);
  EXPECT_EQ(next->items[0].key, "app/c");
  EXPECT_EQ(kv_->list(access_, "", "", 100)->items.size(), 5u);
}

TEST_F(KvTest, history_keeps_each_change_of_a_key) {
  put("k", "1");
  put("other", "x");
  put("k", "2");
  ASSERT_TRUE(kv_->remove(access_, "k", std::nullopt));
  auto h = kv_->history(access_, "k", 10);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].op, "delete");
  EXPECT_EQ((*h)[1].op, "put");
  EXPECT_EQ((*h)[1].value, "2");
  EXPECT_EQ((*h)[2].revision, 1);
}

TEST_F(KvTest, a_key_with_a_ttl_is_gone_once_it_passes_unless_touched) {
  put("lock/a", "me", {.ttl_seconds = 1});
  put("lock/b", "me", {.ttl_seconds = 1});
  ASSERT_TRUE(kv_->touch(access_, "lock/b", 60));
  std::this_thread::sleep_for(1100ms);
  // Reads see it gone at once, before the expiry duty ran.
  EXPECT_EQ(kv_->get(access_, "lock/a").error().code, Errc::not_found);
  EXPECT_TRUE(kv_->get(access_, "lock/b"));
  const cluster::Fence held = [](store::Store&) -> Result<void> { return {}; };
  ASSERT_TRUE(kv_->expire(std::chrono::system_clock::now(), held));
  auto page = kv_->changes(access_, "lock/", 2, 100);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].op, "expire");
  EXPECT_EQ(page->items[0].key, "lock/a");
  EXPECT_EQ(page->revision, 3);
  // A key that expired can be created again.
  EXPECT_TRUE(kv_->put(access_, "lock/a", "you", "", {.create_only = true}));
}

TEST_F(KvTest, the_change_log_is_read_in_order_from_any_revision_without_gaps) {
  for (int i = 0; i < 25; ++i)
    put(i % 2 ? "odd/" + std::to_string(i) : "even/" + std::to_string(i), "v");
  int64_t after = 0;
  std::vector<int64_t> seen;
  for (;;) {  // a watcher reading 4 at a time, as if reconnecting between reads
    auto page = kv_->changes(access_, "", after, 4);
    ASSERT_TRUE(page);
    for (const auto& c : page->items)
      seen.push_back(c.revision);
    if (page->items.empty())
      break;
    after = page->revision;
  }
  ASSERT_EQ(seen.size(), 25u);
  for (size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], static_cast<int64_t>(i) + 1);
  auto odd = kv_->changes(access_, "odd/", 0, 100);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->items.size(), 12u);
  EXPECT_EQ(odd->revision, 25);
}

TEST_F(KvTest, bad_keys_and_values_are_refused_with_the_reason) {
  EXPECT_EQ(kv_->put(access_, "", "v", "", {}).error().message, "a key has 1 to 512 bytes");
  EXPECT_EQ(kv_->put(access_, "/abs", "v", "", {}).error().message,
            "a key does not start with '/'");
  EXPECT_EQ(kv_->put(access_, std::string(513, 'k'), "v", "", {}).error().code,
            Errc::invalid_argument);
  auto big = kv_->put(access_, "big", std::string(kMaxValueBytes + 1, 'x'), "", {});
  EXPECT_EQ(big.error().code, Errc::too_large);
  auto json = kv_->put(access_, "j", "{not json", "application/json", {});
  EXPECT_EQ(json.error().code, Errc::invalid_argument);
  EXPECT_TRUE(kv_->put(access_, "j", R"({"port": 80})", "application/json; charset=utf-8", {}));
  EXPECT_EQ(kv_->get(access_, "j")->content_type, "application/json");
  EXPECT_EQ(kv_->put(access_, "t", "v", "", {.ttl_seconds = 0}).error().code,
            Errc::invalid_argument);
}

TEST_F(KvTest, a_waiter_is_resumed_when_its_space_is_written) {
  std::mutex mu;
  std::condition_variable cv;
  bool resumed = false;
  const auto start = std::chrono::steady_clock::now();
  kv_->wait_for_change(access_.space_id, [&] {
    std::lock_guard lock(mu);
    resumed = true;
    cv.notify_all();
  });
  put("wake", "up");
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return resumed; }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

}  // namespace
}  // namespace ris::kv
