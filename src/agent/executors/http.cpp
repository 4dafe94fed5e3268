// http: one request through net::fetch; the result holds status, headers, a capped body.
#include "agent/executors/builtin.hpp"
#include "ris/net/fetch.hpp"

namespace ris::agent {
namespace {

class HttpExecutor final : public TaskExecutor {
 public:
  std::string_view type() const override { return "http"; }
  RunOutcome run(const RunContext& run) const override {
    const auto& p = run.parameters;
    net::FetchRequest req;
    req.url = string_parameter(p, "url");
    if (auto m = string_parameter(p, "method"); !m.empty())
      req.method = m;
    req.body = string_parameter(p, "body");
    if (const auto* h = p.if_contains("headers"); h && h->is_object())
      for (const auto& [k, v] : h->as_object())
        if (v.is_string())
          req.headers.emplace_back(std::string(k), std::string(v.as_string()));
    if (const auto* v = p.if_contains("verify_tls"); v && v->is_bool())
      req.verify_tls = v->as_bool();
    req.max_body_bytes = 64 * 1024;
    if (const auto* m = p.if_contains("max_body_bytes"); m && m->is_int64())
      req.max_body_bytes = static_cast<size_t>(m->as_int64());
    if (run.timeout)
      req.timeout = *run.timeout;
    auto res = net::fetch(req);
    if (!res)
      return {res.error().message.find("timed out") != std::string::npos ? "timed_out" : "failed",
              {{"error", res.error().message}}};
    boost::json::object headers;
    for (const auto& [k, v] : res->headers)
      headers[k] = v;
    return {res->status < 400 ? "succeeded" : "failed",
            {{"result",
              {{"status", res->status},
               {"headers", headers},
               {"body", res->body},
               {"truncated", res->truncated}}}}};
  }
};

}  // namespace

std::unique_ptr<TaskExecutor> make_http_executor() {
  return std::make_unique<HttpExecutor>();
}

}  // namespace ris::agent
