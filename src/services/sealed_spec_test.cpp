// The stored form of a spec: secret values sealed (none in clear), opened back to the same spec
// and container hash, masked without opening, and re-sealed only where there is work to do.
#include "sealed_spec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ris::services {
namespace {
namespace json = boost::json;

security::SecretBox box_of(std::vector<std::string> keys) {
  auto box = security::SecretBox::from_keys(std::move(keys));
  EXPECT_TRUE(box) << box.error().message;
  return std::move(*box);
}

ServiceSpec db_spec() {
  auto s = parse_service_spec(json::parse(R"({"name": "db", "image": "postgres:15",
      "env": {"PGDATA": "/data"},
      "secret_env": {"POSTGRES_PASSWORD": "hunter2", "EMPTY": ""}})")
                                  .as_object());
  EXPECT_TRUE(s) << s.error().message;
  return *s;
}

TEST(SealedSpec, stores_no_secret_in_clear_and_opens_to_the_same_spec) {
  const auto box = box_of({security::generate_master_key()});
  const ServiceSpec spec = db_spec();
  auto stored = seal_spec(spec, box);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->find("hunter2"), std::string::npos) << *stored;
  EXPECT_NE(stored->find("/data"), std::string::npos) << "only secret values are sealed";
  const auto env = json::parse(*stored).at("secret_env").as_object();
  EXPECT_TRUE(security::is_sealed(std::string_view(env.at("POSTGRES_PASSWORD").as_string())));
  EXPECT_TRUE(security::is_sealed(std::string_view(env.at("EMPTY").as_string())));

  auto opened = open_spec(*stored, box);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->secret_env, spec.secret_env);
  EXPECT_EQ(container_hash(*opened, 0), container_hash(spec, 0))
      << "sealing must not replace running containers";

  auto masked = masked_spec(*stored);
  ASSERT_TRUE(masked) << masked.error().message;
  EXPECT_EQ(masked->secret_env.at("POSTGRES_PASSWORD"), kSecretMask);
}

TEST(SealedSpec, refuses_values_in_clear_or_under_an_unknown_key) {
  const auto box = box_of({security::generate_master_key()});
  const std::string clear = json::serialize(to_json(db_spec(), true));
  auto opened = open_spec(clear, box);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message.find("hunter2"), std::string::npos) << "never in an error";
  const auto other = box_of({security::generate_master_key()});
  EXPECT_FALSE(open_spec(*seal_spec(db_spec(), other), box));
  EXPECT_FALSE(open_spec("not json", box));
}

TEST(SealedSpec, reseals_plaintext_then_old_keys_and_then_has_nothing_to_do) {
  const std::string old_key = security::generate_master_key();
  const auto old_box = box_of({old_key});
  const std::string clear = json::serialize(to_json(db_spec(), true));

  auto sealed = reseal_spec(clear, old_box, Reseal::plaintext);
  ASSERT_TRUE(sealed && *sealed);
  EXPECT_EQ((*sealed)->find("hunter2"), std::string::npos);
  EXPECT_FALSE(*reseal_spec(**sealed, old_box, Reseal::plaintext)) << "already sealed";
  EXPECT_FALSE(*reseal_spec(**sealed, old_box, Reseal::not_current)) << "already current";

  const std::string new_key = security::generate_master_key();
  const auto rotated = box_of({new_key, old_key});
  auto moved = reseal_spec(**sealed, rotated, Reseal::not_current);
  ASSERT_TRUE(moved && *moved);
  EXPECT_FALSE(*reseal_spec(**moved, rotated, Reseal::not_current));
  auto opened = open_spec(**moved, box_of({new_key}));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->secret_env.at("POSTGRES_PASSWORD"), "hunter2");

  ServiceSpec plain;
  plain.name = "web";
  plain.image = "busybox:ris";
  EXPECT_FALSE(*reseal_spec(json::serialize(to_json(plain, true)), rotated, Reseal::not_current))
      << "no secrets, nothing to do";
}

}  // namespace
}  // namespace ris::services
