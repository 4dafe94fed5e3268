// Store::run_batch for engines without a faster way: one transaction, one statement at a time.
#include "ris/store/store.hpp"

namespace ris::store {

Result<std::vector<QueryResult>> Store::run_batch(const std::vector<Statement>& statements) {
  std::vector<QueryResult> out;
  RIS_TRY_VOID(transaction([&](Store& tx) -> Result<void> {
    out.clear();  // the body may run again (a retried transaction)
    for (const auto& st : statements) {
      RIS_TRY(auto r, tx.query(st.sql, st.params));
      out.push_back(std::move(r));
    }
    return {};
  }));
  return out;
}

}  // namespace ris::store
