// The Store& handed to a transaction body, for both backends: runs on the connection the
// transaction holds, only on the thread that opened it and only while the body runs; nested
// transactions go back to the backend's own runner (a savepoint). Private to the store module.
#pragma once
#include <functional>
#include <thread>

#include "ris/store/store.hpp"

namespace ris::store {

template <typename Connection, Engine kEngine>
class BoundTransaction final : public Store {
 public:
  using Body = std::function<Result<void>(Store&)>;
  // Runs `body` on `conn` at `depth` (0: the outermost transaction, then savepoints).
  using Runner = Result<void> (*)(Connection& conn, int schema_version, int depth, const Body&);

  BoundTransaction(Connection& conn, int schema_version, int depth, Runner runner)
      : conn_(conn), schema_version_(schema_version), depth_(depth), runner_(runner) {}

  Result<QueryResult> query(std::string_view sql, std::vector<Value> params = {}) override {
    RIS_TRY_VOID(check_usable());
    return conn_.run(sql, params);
  }
  Result<void> transaction(const Body& body) override {
    RIS_TRY_VOID(check_usable());
    return runner_(conn_, schema_version_, depth_, body);
  }
  Result<void> ping() override {
    RIS_TRY_VOID(query("SELECT 1"));
    return {};
  }
  std::string_view backend() const override {
    return kEngine == Engine::sqlite ? "sqlite" : "postgres";
  }
  Engine engine() const override { return kEngine; }
  int schema_version() const override { return schema_version_; }
  Result<void> close() override {
    return fail(Errc::internal, "the store cannot be closed from inside a transaction");
  }
  Result<void> backup_to(const std::filesystem::path&) override {
    return fail(Errc::internal, "a backup cannot be taken from inside a transaction");
  }
  void finish() { active_ = false; }

 private:
  Result<void> check_usable() const {
    if (!active_)
      return fail(Errc::internal, "a transaction's Store& was used after its body returned");
    if (std::this_thread::get_id() != thread_)
      return fail(Errc::internal, "a transaction's Store& was used from another thread");
    return {};
  }

  Connection& conn_;
  const int schema_version_;
  const int depth_;
  const Runner runner_;
  const std::thread::id thread_ = std::this_thread::get_id();
  bool active_ = true;
};

}  // namespace ris::store
