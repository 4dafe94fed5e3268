// A context's server setting: one URL or several of one cluster, comma-separated.
#include "api.hpp"

#include <gtest/gtest.h>

namespace ris::cli {
namespace {

TEST(ServerList, several_urls_in_order_with_spaces_around_commas) {
  auto urls = parse_server_list("https://ris1:8057, https://[::1]:9000 ,https://ris3");
  ASSERT_TRUE(urls) << urls.error().message;
  ASSERT_EQ(urls->size(), 3u);
  EXPECT_EQ((*urls)[0].host, "ris1");
  EXPECT_EQ((*urls)[0].port, 8057);
  EXPECT_EQ(server_text((*urls)[1]), "https://[::1]:9000");
  EXPECT_EQ(server_text((*urls)[2]), "https://ris3:443");
}

TEST(ServerList, one_url_is_a_list_of_one) {
  auto urls = parse_server_list("https://127.0.0.1:8057");
  ASSERT_TRUE(urls);
  ASSERT_EQ(urls->size(), 1u);
  EXPECT_EQ(server_text(urls->front()), "https://127.0.0.1:8057");
}

TEST(ServerList, empty_entries_and_bad_urls_are_refused_by_name) {
  for (const char* bad : {"", "https://a:1,", ",https://a:1", "https://a:1,,https://b:2"}) {
    auto urls = parse_server_list(bad);
    ASSERT_FALSE(urls) << bad;
    EXPECT_NE(urls.error().message.find("empty server URL"), std::string::npos) << bad;
  }
  auto urls = parse_server_list("https://a:1,ftp://b");
  ASSERT_FALSE(urls);
  EXPECT_NE(urls.error().message.find("bad server URL \"ftp://b\""), std::string::npos)
      << urls.error().message;
}

}  // namespace
}  // namespace ris::cli
