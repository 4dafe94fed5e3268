#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bus/nats_bus.hpp"

namespace ris::bus::detail {
namespace {

std::string error_of(std::string_view url) {
  auto r = parse_nats_url(url);
  if (r)
    return "(accepted)";
  EXPECT_EQ(r.error().code, Errc::invalid_argument) << url;
  return r.error().message;
}

TEST(NatsUrl, reads_one_server_with_the_default_port) {
  auto o = parse_nats_url("nats://127.0.0.1");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->servers, std::vector<std::string>{"nats://127.0.0.1:4222"});
  EXPECT_FALSE(o->tls);
  EXPECT_TRUE(o->user.empty() && o->token.empty() && o->creds_file.empty());
}

TEST(NatsUrl, reads_a_cluster_of_servers_sharing_scheme_and_credentials) {
  auto o = parse_nats_url("nats://ris:p%40ss@a.example:4222, b.example:4223,nats://[::1]:4224");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->servers, (std::vector<std::string>{"nats://a.example:4222", "nats://b.example:4223",
                                                  "nats://[::1]:4224"}));
  EXPECT_EQ(o->user, "ris");
  EXPECT_EQ(o->password, "p@ss");
}

TEST(NatsUrl, tls_scheme_or_a_ca_turns_tls_on) {
  auto t = parse_nats_url("tls://h:4222");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->servers, std::vector<std::string>{"nats://h:4222"});
  const auto ca = std::filesystem::temp_directory_path() / "ris-nats-url-test-ca.pem";
  std::ofstream(ca) << "not checked here\n";
  auto c = parse_nats_url("nats://h:4222?ca=" + ca.string());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->tls);
  EXPECT_EQ(c->ca_file, ca.string());
  std::filesystem::remove(ca);
}

TEST(NatsUrl, reads_a_token_from_the_query_or_before_the_at_sign) {
  auto q = parse_nats_url("nats://h?token=s3cr%2Ft");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->token, "s3cr/t");
  auto at = parse_nats_url("nats://tok@h");
  ASSERT_TRUE(at);
  EXPECT_EQ(at->token, "tok");
  EXPECT_TRUE(at->user.empty());
}

TEST(NatsUrl, bad_urls_name_the_wrong_part) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("redis://h").find("'redis://'"), std::string::npos);
  EXPECT_NE(error_of("h:4222").find("scheme"), std::string::npos);
  EXPECT_NE(error_of("nats://").find("no host"), std::string::npos);
  EXPECT_NE(error_of("nats://h:99999").find("port '99999'"), std::string::npos);
  EXPECT_NE(error_of("nats://h:x").find("port 'x'"), std::string::npos);
  EXPECT_NE(error_of("nats://h:0").find("port '0'"), std::string::npos);
  EXPECT_NE(error_of("nats://h:4222/db").find("path"), std::string::npos);
  EXPECT_NE(error_of("nats://h a:4222").find("'h a'"), std::string::npos);
  EXPECT_NE(error_of("nats://[::1:4222").find("']'"), std::string::npos);
  EXPECT_NE(error_of("nats://a,,nats://b").find("empty server"), std::string::npos);
  EXPECT_NE(error_of("nats://a,tls://b").find("same scheme"), std::string::npos);
  EXPECT_NE(error_of("nats://h?tokn=x").find("unknown option 'tokn'"), std::string::npos);
  EXPECT_NE(error_of("nats://h?token=").find("'token' needs a value"), std::string::npos);
  EXPECT_NE(error_of("nats://h?token=a&token=b").find("twice"), std::string::npos);
  EXPECT_NE(error_of("nats://u:p@h?token=t").find("one kind of credentials"), std::string::npos);
  EXPECT_NE(error_of("nats://h?cert=/c.pem").find("?key="), std::string::npos);
  EXPECT_NE(error_of("nats://h?creds=/nonexistent/x.creds").find("/nonexistent/x.creds"),
            std::string::npos);
  EXPECT_NE(error_of("nats://h?ca=/nonexistent/ca.pem").find("?ca="), std::string::npos);
  EXPECT_NE(error_of("nats://u%zz:p@h").find("user name"), std::string::npos);
}

TEST(NatsUrl, errors_never_repeat_a_password_or_token) {
  for (std::string_view url : {"nats://ris:s3cret@h:99999", "nats://ris:s3cret@h?bogus=1",
                               "nats://h:1?token=s3cret&token=s3cret", "nats://s3cret@h?token=x"})
    EXPECT_EQ(error_of(url).find("s3cret"), std::string::npos) << url;
}

TEST(OpenBus, inproc_nats_and_unknown_urls) {
  auto in = open_bus("");
  ASSERT_TRUE(in);
  EXPECT_EQ((*in)->backend(), "in-process");
  auto bad = open_bus("nats://h:99999");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_NE(bad.error().message.find("99999"), std::string::npos);
  auto unknown = open_bus("redis://x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::invalid_argument);
  EXPECT_NE(unknown.error().message.find("redis"), std::string::npos);
}

}  // namespace
}  // namespace ris::bus::detail
