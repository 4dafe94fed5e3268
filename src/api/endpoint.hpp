// The one shape of an authenticated API call. `endpoint()` turns a plain function into a route
// handler that, on the worker pool: authenticates the bearer credential (an access token or an
// API token), runs the function, maps its error to problem+json, and appends an audit entry for
// every mutating call and every refusal. Handlers therefore hold only their own logic.
#pragma once
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "handlers.hpp"
#include "ris/identity/access.hpp"

namespace ris::api {

struct Call {
  ApiContext& ctx;
  net::Request& req;
  identity::Principal caller;
  // Filled by the handler for the audit entry: the space and resource acted on.
  std::string space_id;
  std::string target;
  boost::json::object audit_details;
};

using Work = Result<net::Response> (*)(Call&);

// What is audited: every mutating call and every refusal (the default), or only refusals — for
// the data plane of queues and the key-value store, whose publishes, pulls, acks and writes come
// by the thousand per second (their topics, subscriptions and permissions are audited; the
// messages are the application's own record).
enum class Audit { mutations, refusals };

net::Handler endpoint(ApiContext& ctx, std::string action, Work work,
                      Audit audit = Audit::mutations);

// The same for a call that may answer later (a pull that waits for a message): `work` starts it
// on the worker pool and calls `done` once, from any thread, when it has the answer; the audit
// entry is made then. Waiting, it holds no thread (park it in a Wakeups).
using Done = std::function<void(Result<net::Response>)>;
using LaterWork = void (*)(std::shared_ptr<Call>, Done);
net::Handler endpoint_later(ApiContext& ctx, std::string action, LaterWork work,
                            Audit audit = Audit::mutations);

// For handlers that answer later (a watch): the bearer credential's principal, and the 401
// problem (with WWW-Authenticate) when it is missing or bad. Blocking: on the worker pool.
Result<identity::Principal> authenticate(ApiContext& ctx, const net::Request& req);
net::Response unauthenticated_problem(const net::Request& req, const Error& e);

// The space of the agent whose client certificate the request was made with: 401 without one,
// 403 for a revoked agent. Agents call /agent/v1/… routes this way (blocking: on the pool).
Result<std::string> agent_space(ApiContext& ctx, const net::Request& req);

// Helpers shared by handlers.
Result<boost::json::object> json_body(const net::Request& req);
// The query parameter as a whole number in [lo, hi]; none when absent; 400 when it is not one.
Result<std::optional<int64_t>> int_param(const net::Request& req, std::string_view name, int64_t lo,
                                         int64_t hi);
std::string string_field(const boost::json::object& o, std::string_view name);
std::optional<bool> bool_field(const boost::json::object& o, std::string_view name);
net::Response no_content();
boost::json::object account_json(const identity::Account& a);
// The caller's access to the space named by the {space} path parameter, recorded in the call.
Result<identity::SpaceAccess> space_access(Call& call);

}  // namespace ris::api
