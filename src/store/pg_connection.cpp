#include "pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <fmt/format.h>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "ris/core/log.hpp"

namespace ris::store {
namespace {

// Type OIDs of the built-in types (src/include/catalog/pg_type.dat); stable across releases.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
              kFloat8 = 701, kNumeric = 1700;

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;

Errc errc_for_sqlstate(std::string_view state) {
  if (state.starts_with("23"))
    return Errc::conflict;  // integrity constraint violation
  if (state == "40001" || state == "40P01" || state == "55P03")
    return Errc::busy;  // serialization failure, deadlock, lock not available
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P") ||
      state == "25006") {
    return Errc::unavailable;  // connection, resources, shutdown, read-only standby
  }
  if (state == "22001")
    return Errc::too_large;  // string data right truncation
  if (state.starts_with("22"))
    return Errc::invalid_argument;  // data exception: a value the column cannot hold
  return Errc::internal;
}

Value text_value(Oid type, const char* text, int length) {
  const std::string_view s(text, static_cast<size_t>(length));
  switch (type) {
    case kBool:
      return int64_t{s == "t" ? 1 : 0};
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      int64_t v = 0;
      std::from_chars(s.data(), s.data() + s.size(), v);
      return v;
    }
    case kNumeric:
      // SUM(bigint) is numeric: whole numbers read as integers, like SQLite's.
      if (s.find_first_of(".eEN") == std::string_view::npos) {
        int64_t v = 0;
        if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc())
          return v;
      }
      [[fallthrough]];
    case kFloat4:
    case kFloat8:
      return std::strtod(std::string(s).c_str(), nullptr);
    case kBytea: {
      size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
      Blob b{raw ? std::vector<uint8_t>(raw, raw + n) : std::vector<uint8_t>{}};
      PQfreemem(raw);
      return b;
    }
    default:
      return std::string(s);
  }
}

// Parameters as libpq takes them: text for everything but blobs, which go as binary bytea.
struct Params {
  explicit Params(const std::vector<Value>& values) {
    const size_t n = values.size();
    text.resize(n);
    data.resize(n);
    lengths.resize(n);
    formats.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const Value& v = values[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        data[i] = nullptr;
        continue;
      }
      if (const auto* b = std::get_if<Blob>(&v)) {
        data[i] = reinterpret_cast<const char*>(b->bytes.data());
        lengths[i] = static_cast<int>(b->bytes.size());
        formats[i] = 1;
        continue;
      }
      if (const auto* s = std::get_if<std::string>(&v)) {
        data[i] = s->c_str();
        continue;
      }
      text[i] = Row::to_string(v);  // integers, doubles, booleans (1/0)
      data[i] = text[i].c_str();
    }
  }
  int count() const { return static_cast<int>(data.size()); }

  std::vector<std::string> text;
  std::vector<const char*> data;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

std::string number_placeholders(std::string_view sql, int& count) {
  std::string out;
  out.reserve(sql.size() + 16);
  count = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted literal or identifier, with doubled quotes inside it.
      const size_t end = sql.find(c, i + 1);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++count);
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& conninfo) {
  // Defaults first: whatever the URL says wins (libpq processes the expanded dbname in place).
  const char* keys[] = {"application_name", "connect_timeout", "dbname", nullptr};
  const char* values[] = {"risd", "5", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr)
    return fail(Errc::unavailable, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    PQfinish(conn);
    return fail(Errc::unavailable, "cannot connect to PostgreSQL: " + why);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors; keep them out of stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

bool PgConnection::healthy() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

// An idle connection has nothing to read unless the server spoke first: a server that shut down
// or was killed leaves a FATAL message and an end of file on the socket, which libpq notices
// only on the next use. RIS never LISTENs, so anything readable on an idle connection means it
// is going away; reading the message alone (PQconsumeInput) can leave libpq thinking it is
// fine until the end of file is read too, so readable is enough to drop it. No round trip.
bool PgConnection::alive() {
  if (!healthy())
    return false;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  if (p.fd < 0)
    return false;
  return ::poll(&p, 1, 0) == 0;
}

bool PgConnection::in_transaction() const {
  const auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

bool PgConnection::transaction_failed() const {
  return PQtransactionStatus(conn_) == PQTRANS_INERROR;
}

Result<void> PgConnection::reset() {
  statements_.clear();
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    return fail(Errc::unavailable, "cannot reconnect to PostgreSQL: " + why);
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return {};
}

Failure PgConnection::failure(PGresult* res, std::string_view sql) const {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  Errc code = errc_for_sqlstate(state ? state : "");
  if (PQstatus(conn_) != CONNECTION_OK)
    code = Errc::unavailable;
  std::string why = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
    why.pop_back();
  if (why.empty())
    why = "no answer from the server";
  std::string message =
      code == Errc::unavailable ? "the database is unavailable: " + why : "database error: " + why;
  // A conflict or a busy retry is an expected outcome for the caller; anything else is a look.
  if (code != Errc::conflict && code != Errc::busy) {
    log::warn("store_statement_failed", {{"error", message},
                                         {"sqlstate", state ? state : ""},
                                         {"sql", std::string(sql.substr(0, 200))}});
  }
  return fail(code, std::move(message));
}

Result<std::string> PgConnection::prepared(const std::string& numbered, int nparams) {
  if (auto it = statements_.find(numbered); it != statements_.end())
    return it->second;
  if (statements_.size() >= kStatementCacheSize)
    return std::string();
  std::string name = fmt::format("ris_{}", ++next_statement_);
  ResultPtr res(PQprepare(conn_, name.c_str(), numbered.c_str(), nparams, nullptr));
  if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    return failure(res.get(), numbered);
  statements_.emplace(numbered, name);
  return name;
}

Result<QueryResult> PgConnection::collect(PGresult* res, std::string_view sql) {
  const auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    return failure(res, sql);
  QueryResult out;
  const int ncols = PQnfields(res);
  auto columns = std::make_shared<std::vector<std::string>>();
  std::vector<Oid> types;
  for (int c = 0; c < ncols; ++c) {
    columns->emplace_back(PQfname(res, c));
    types.push_back(PQftype(res, c));
  }
  out.columns = *columns;
  const int nrows = PQntuples(res);
  out.rows.reserve(static_cast<size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    std::vector<Value> values;
    values.reserve(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c))
        values.emplace_back(nullptr);
      else
        values.push_back(text_value(types[c], PQgetvalue(res, r, c), PQgetlength(res, r, c)));
    }
    out.rows.emplace_back(columns, std::move(values));
  }
  const char* tuples = PQcmdTuples(res);
  // A SELECT also reports its row count there; `changes` counts written rows only.
  if (tuples && *tuples && status == PGRES_COMMAND_OK)
    out.changes = std::strtoll(tuples, nullptr, 10);
  else if (tuples && *tuples && ncols > 0) {
    const std::string_view tag = PQcmdStatus(res);
    if (!tag.starts_with("SELECT"))
      out.changes = std::strtoll(tuples, nullptr, 10);  // INSERT/UPDATE/DELETE … RETURNING
  }
  return out;
}

Result<QueryResult> PgConnection::run(std::string_view sql, const std::vector<Value>& params) {
  int expected = 0;
  const std::string numbered = number_placeholders(sql, expected);
  if (static_cast<size_t>(expected) != params.size()) {
    return fail(Errc::internal, fmt::format("the statement has {} parameters but {} were given",
                                            expected, params.size()));
  }
  RIS_TRY(const std::string name, prepared(numbered, expected));
  const Params p(params);
  ResultPtr res(name.empty() ? PQexecParams(conn_, numbered.c_str(), p.count(), nullptr,
                                            p.data.data(), p.lengths.data(), p.formats.data(), 0)
                             : PQexecPrepared(conn_, name.c_str(), p.count(), p.data.data(),
                                              p.lengths.data(), p.formats.data(), 0));
  return collect(res.get(), sql);
}

Result<void> PgConnection::exec_script(std::string_view sql) {
  ResultPtr res(PQexec(conn_, std::string(sql).c_str()));
  const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return failure(res.get(), sql.substr(0, 200));
  return {};
}

Result<std::vector<QueryResult>> PgConnection::run_pipeline(
    const std::vector<Statement>& statements) {
  // Prepared first (a round trip per new statement text, once per connection).
  std::vector<std::string> numbered(statements.size()), names(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) {
    int n = 0;
    numbered[i] = number_placeholders(statements[i].sql, n);
    if (static_cast<size_t>(n) != statements[i].params.size()) {
      return fail(Errc::internal, fmt::format("the statement has {} parameters but {} were given",
                                              n, statements[i].params.size()));
    }
    RIS_TRY(names[i], prepared(numbered[i], n));
  }
  if (PQenterPipelineMode(conn_) != 1)
    return fail(Errc::internal,
                "cannot enter pipeline mode: " + std::string(PQerrorMessage(conn_)));
  struct Exit {
    PGconn* c;
    ~Exit() { PQexitPipelineMode(c); }
  } exit_pipeline{conn_};

  bool sent = PQsendQueryParams(conn_, "BEGIN ISOLATION LEVEL READ COMMITTED", 0, nullptr, nullptr,
                                nullptr, nullptr, 0) == 1;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const Params p(statements[i].params);
    sent = names[i].empty()
               ? PQsendQueryParams(conn_, numbered[i].c_str(), p.count(), nullptr, p.data.data(),
                                   p.lengths.data(), p.formats.data(), 0) == 1
               : PQsendQueryPrepared(conn_, names[i].c_str(), p.count(), p.data.data(),
                                     p.lengths.data(), p.formats.data(), 0) == 1;
  }
  sent = sent &&
         PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
         PQpipelineSync(conn_) == 1;
  if (!sent) {
    return fail(Errc::unavailable,
                "the database is unavailable: " + std::string(PQerrorMessage(conn_)));
  }

  // Each command's result is followed by a null; the sync's result ends the batch.
  std::vector<QueryResult> out;
  out.reserve(statements.size());
  std::optional<Error> first_error;
  const size_t commands = statements.size() + 2;  // BEGIN, statements, COMMIT
  for (size_t i = 0; i < commands; ++i) {
    ResultPtr res(PQgetResult(conn_));
    if (!res) {
      first_error = first_error.value_or(Error{
          Errc::unavailable, "the database is unavailable: " + std::string(PQerrorMessage(conn_))});
      break;
    }
    const auto status = PQresultStatus(res.get());
    if (status == PGRES_PIPELINE_ABORTED) {
      // after an earlier failure
    } else if (i == 0 || i + 1 == commands) {
      if (status != PGRES_COMMAND_OK && !first_error)
        first_error = failure(res.get(), i == 0 ? "BEGIN" : "COMMIT").error;
    } else if (!first_error) {
      auto r = collect(res.get(), statements[i - 1].sql);
      if (r)
        out.push_back(std::move(*r));
      else
        first_error = r.error();
    }
    while (PGresult* extra = PQgetResult(conn_))
      PQclear(extra);
  }
  while (PGresult* r = PQgetResult(conn_)) {
    const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (sync)
      break;
  }
  if (first_error) {
    if (healthy() && in_transaction()) {
      PQexitPipelineMode(conn_);
      (void)run("ROLLBACK");
    }
    return fail(*first_error);
  }
  return out;
}

}  // namespace ris::store
