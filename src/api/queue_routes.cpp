// Durable queues over the API: topics, publishing (the body is the message, its Content-Type
// kept; Idempotency-Key stores a repeated publish once), subscriptions with a start for replay,
// pull, ack and nack. Handlers parse and answer; src/queue decides.
#include "endpoint.hpp"
#include "feed_json.hpp"
#include "ris/core/base64.hpp"
#include "ris/queue/queues.hpp"

namespace ris::api {

boost::json::object queue_message_json(const queue::Message& m) {
  boost::json::object o{{"seq", m.seq},
                        {"content_type", m.content_type},
                        {"published_at", m.published_at},
                        {"deliveries", m.deliveries},
                        {"ack", m.ack}};
  if (m.content_type.starts_with("text/") || m.content_type == "application/json")
    o["body"] = m.body;
  else
    o["body_base64url"] = base64url_encode(m.body);
  return o;
}

namespace {
namespace json = boost::json;

json::object topic_json(const queue::Topic& t) {
  json::object o{{"id", t.id},
                 {"name", t.name},
                 {"max_deliveries", t.max_deliveries},
                 {"ack_deadline_seconds", t.ack_deadline_seconds},
                 {"retention_seconds", t.retention_seconds},
                 {"retention_messages", t.retention_messages},
                 {"created_at", t.created_at},
                 {"backend", t.backend},
                 {"agents", t.agent_access}};
  if (t.backend == "store")
    o["last_seq"] = t.last_seq;  // JetStream's is in its stream
  if (!t.home_domain.empty())
    o["home_domain"] = t.home_domain;
  if (t.dead_letter_topic)
    o["dead_letter_topic"] = *t.dead_letter_topic;
  return o;
}

json::object subscription_json(const queue::Subscription& s) {
  json::object o{
      {"id", s.id}, {"name", s.name}, {"next_seq", s.next_seq}, {"created_at", s.created_at}};
  if (!s.domain.empty())
    o["domain"] = s.domain;
  return o;
}

Result<net::Response> create_topic(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.audit_details = body;
  RIS_TRY(auto t, c.ctx.queues->create_topic(access, body));
  c.target = t.name;
  return net::json_response(201, topic_json(t));
}

Result<net::Response> list_topics(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto topics, c.ctx.queues->topics(access));
  json::array items;
  for (const auto& t : topics)
    items.push_back(topic_json(t));
  return net::json_response(200, json::object{{"items", std::move(items)}});
}

Result<net::Response> delete_topic(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["topic"];
  RIS_TRY_VOID(c.ctx.queues->remove_topic(access, c.target));
  return no_content();
}

Result<net::Response> publish(Call& c) {
  RIS_TRY(auto access, space_access(c));
  c.target = c.req.params["topic"];
  std::optional<std::string> key;
  if (auto k = c.req.header("idempotency-key"); !k.empty())
    key = std::string(k);
  RIS_TRY(auto p, c.ctx.queues->publish(access, c.target, c.req.body,
                                        std::string(c.req.header("content-type")), key));
  c.audit_details = {{"seq", p.seq}, {"bytes", c.req.body.size()}};
  auto res = net::json_response(p.replayed ? 200 : 201, json::object{{"seq", p.seq}});
  if (p.replayed)
    res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

// {"messages": [{"body" | "body_base64url", "content_type", "idempotency_key"}, …]} →
// 201 {"messages": [{"seq", "replayed"}, …]} in the same order.
Result<net::Response> publish_batch(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.req.params["topic"];
  const auto* list = body.if_contains("messages");
  if (!list || !list->is_array())
    return fail(Errc::invalid_argument, "the body is {\"messages\": [{\"body\": …}, …]}");
  std::vector<queue::Outgoing> out;
  for (const auto& v : list->as_array()) {
    const auto* m = v.if_object();
    if (!m)
      return fail(Errc::invalid_argument, "each message is an object with a \"body\"");
    queue::Outgoing o;
    if (const auto* b = m->if_contains("body"); b && b->is_string()) {
      o.body = std::string(b->as_string());
      o.content_type = "text/plain";
    } else if (const auto* b64 = m->if_contains("body_base64url"); b64 && b64->is_string()) {
      auto bytes = base64url_decode(b64->as_string());
      if (!bytes)
        return fail(Errc::invalid_argument, "\"body_base64url\" is not base64url");
      o.body = std::move(*bytes);
    } else {
      return fail(Errc::invalid_argument,
                  "each message has a \"body\" (text) or a \"body_base64url\" (bytes)");
    }
    if (auto type = string_field(*m, "content_type"); !type.empty())
      o.content_type = std::move(type);
    if (auto key = string_field(*m, "idempotency_key"); !key.empty())
      o.idempotency_key = std::move(key);
    out.push_back(std::move(o));
  }
  RIS_TRY(auto published, c.ctx.queues->publish_all(access, c.target, std::move(out)));
  json::array items;
  for (const auto& p : published)
    items.push_back(json::object{{"seq", p.seq}, {"replayed", p.replayed}});
  return net::json_response(201, json::object{{"messages", std::move(items)}});
}

Result<net::Response> subscribe(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto body, json_body(c.req));
  c.target = c.req.params["topic"];
  const auto* name = body.if_contains("name");
  RIS_TRY(auto s, c.ctx.queues->subscribe(
                      access, c.target,
                      name && name->is_string() ? std::string_view(name->as_string()) : "",
                      body.contains("start") ? body.at("start") : json::value()));
  return net::json_response(201, subscription_json(s));
}

Result<net::Response> list_subscriptions(Call& c) {
  RIS_TRY(auto access, space_access(c));
  RIS_TRY(auto subs, c.ctx.queues->subscriptions(access, c.req.params["topic"]));
  json::array items;
  for (const auto& s : subs)
    items.push_back(subscription_json(s));
  return net::json_response(200, json::object{{"items", std::move(items)}});
}

// A pull: what is there now, or — with wait_seconds — the first messages to come within that
// time, parked between looks (no thread held while it waits).
struct Pull : std::enable_shared_from_this<Pull> {
  ApiContext& ctx;
  std::function<Result<std::vector<queue::Message>>()> take;  // as the caller may
  std::function<void(Result<net::Response>, size_t messages)> done;
  std::string space_id, topic;
  std::chrono::steady_clock::time_point deadline;

  explicit Pull(ApiContext& c) : ctx(c) {}

  void look() {
    auto messages = take();
    if (messages && messages->empty() && std::chrono::steady_clock::now() < deadline) {
      auto self = shared_from_this();
      return ctx.queues->wait_for_message(
          space_id, topic, [self] { self->ctx.blocking.post([self] { self->look(); }); });
    }
    if (!messages)
      return done(fail(messages.error()), 0);
    json::array items;
    for (const auto& m : *messages)
      items.push_back(queue_message_json(m));
    done(net::json_response(200, json::object{{"messages", std::move(items)}}), messages->size());
  }
};

// max and wait_seconds from the query.
Result<std::shared_ptr<Pull>> pull_of(ApiContext& ctx, const net::Request& req, int& max) {
  RIS_TRY(auto m, int_param(req, "max", 1, 1000));
  RIS_TRY(auto wait, int_param(req, "wait_seconds", 0, 60));
  max = static_cast<int>(m.value_or(10));
  auto p = std::make_shared<Pull>(ctx);
  p->topic = req.params.at("topic");
  p->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait.value_or(0));
  return p;
}

void pull(std::shared_ptr<Call> c, Done done) {
  auto access = space_access(*c);
  if (!access)
    return done(fail(access.error()));
  int max = 10;
  auto p = pull_of(c->ctx, c->req, max);
  if (!p)
    return done(fail(p.error()));
  const std::string subscription = c->req.params["subscription"];
  c->target = (*p)->topic + "/" + subscription;
  (*p)->space_id = access->space_id;
  (*p)->take = [&ctx = c->ctx, access = std::move(*access), topic = (*p)->topic, subscription,
                max] { return ctx.queues->pull(access, topic, subscription, max); };
  (*p)->done = [c, done = std::move(done)](Result<net::Response> r, size_t messages) {
    c->audit_details = {{"messages", messages}};
    done(std::move(r));
  };
  (*p)->look();
}

// Several deliveries in one call: {"tokens": [...]} → {"settled": N, "refused": [...]}.
Result<net::Response> settle_all(Call& c, const identity::SpaceAccess& access, bool ack) {
  RIS_TRY(auto body, json_body(c.req));
  const auto* list = body.if_contains("tokens");
  if (!list || !list->is_array() || list->as_array().empty())
    return fail(Errc::invalid_argument,
                "give ?token=ACK, or a body {\"tokens\": [ACK, ...]} (at most 1000)");
  std::vector<std::string> tokens;
  for (const auto& t : list->as_array()) {
    if (!t.is_string())
      return fail(Errc::invalid_argument, "\"tokens\" holds the ack tokens pull gave, as strings");
    tokens.emplace_back(t.as_string());
  }
  RIS_TRY(auto refused, c.ctx.queues->settle_all(access, c.req.params["topic"],
                                                 c.req.params["subscription"], tokens, ack));
  c.audit_details = {{"tokens", tokens.size()}, {"refused", refused.size()}};
  json::array r;
  for (auto& t : refused)
    r.emplace_back(t);
  return net::json_response(
      200, json::object{{"settled", tokens.size() - refused.size()}, {"refused", std::move(r)}});
}

template <bool kAck>
Result<net::Response> settle(Call& c) {
  RIS_TRY(auto access, space_access(c));
  const std::string token(c.req.query_param("token"));
  c.target = c.req.params["topic"] + "/" + c.req.params["subscription"];
  if (token.empty())
    return settle_all(c, access, kAck);
  c.audit_details = {{"token", token}};
  if (kAck)
    RIS_TRY_VOID(
        c.ctx.queues->ack(access, c.req.params["topic"], c.req.params["subscription"], token));
  else
    RIS_TRY_VOID(
        c.ctx.queues->nack(access, c.req.params["topic"], c.req.params["subscription"], token));
  return no_content();
}

// Agents, with their client certificate, on the topics whose "agents" setting lets them: a
// task or a local process on the host publishes and consumes with the agent's identity
// (ris-agent pub / sub). The same bodies and answers as the member routes above.
using AgentWork = void (*)(ApiContext&, const std::string& space, net::Request&, net::Reply);

net::Handler for_agents(ApiContext& ctx, AgentWork work) {
  return [&ctx, work](net::Request& request, net::Reply reply) {
    ctx.blocking.post([&ctx, work, req = std::move(request), reply = std::move(reply)]() mutable {
      auto space = agent_space(ctx, req);
      if (!space)
        return reply(net::problem(space.error()));
      work(ctx, *space, req, std::move(reply));
    });
  };
}

void agent_publish(ApiContext& ctx, const std::string& space, net::Request& req, net::Reply reply) {
  std::optional<std::string> key;
  if (auto k = req.header("idempotency-key"); !k.empty())
    key = std::string(k);
  auto p = ctx.queues->publish_for_agent(space, req.params["topic"], req.body,
                                         std::string(req.header("content-type")), key);
  if (!p)
    return reply(net::problem(p.error()));
  auto res = net::json_response(p->replayed ? 200 : 201, json::object{{"seq", p->seq}});
  if (p->replayed)
    res.headers.emplace_back("Idempotent-Replayed", "true");
  reply(std::move(res));
}

void agent_pull(ApiContext& ctx, const std::string& space, net::Request& req, net::Reply reply) {
  int max = 10;
  auto p = pull_of(ctx, req, max);
  if (!p)
    return reply(net::problem(p.error()));
  (*p)->space_id = space;
  (*p)->take = [&ctx, space, topic = (*p)->topic, subscription = req.params["subscription"], max] {
    return ctx.queues->pull_for_agent(space, topic, subscription, max);
  };
  (*p)->done = [reply = std::move(reply)](Result<net::Response> r, size_t) {
    reply(r ? std::move(*r) : net::problem(r.error()));
  };
  (*p)->look();
}

template <bool kAck>
void agent_settle(ApiContext& ctx, const std::string& space, net::Request& req, net::Reply reply) {
  std::vector<std::string> tokens;
  if (auto token = req.query_param("token"); !token.empty()) {
    tokens.emplace_back(token);
  } else {
    auto body = json_body(req);
    const auto* list = body ? body->if_contains("tokens") : nullptr;
    if (!list || !list->is_array() || list->as_array().empty())
      return reply(net::problem(
          Error{Errc::invalid_argument, "give ?token=ACK, or a body {\"tokens\": [ACK, ...]}"}));
    for (const auto& t : list->as_array())
      if (t.is_string())
        tokens.emplace_back(t.as_string());
  }
  auto refused = ctx.queues->settle_for_agent(space, req.params["topic"],
                                              req.params["subscription"], tokens, kAck);
  if (!refused)
    return reply(net::problem(refused.error()));
  json::array r;
  for (auto& t : *refused)
    r.emplace_back(t);
  reply(net::json_response(
      200, json::object{{"settled", tokens.size() - refused->size()}, {"refused", std::move(r)}}));
}

}  // namespace

void register_queue_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.queues)
    return;
  const std::string t = "/api/v1/spaces/{space}/topics";
  router.add("POST", t, endpoint(ctx, "topic.create", create_topic));
  router.add("GET", t, endpoint(ctx, "topic.list", list_topics));
  router.add("DELETE", t + "/{topic}", endpoint(ctx, "topic.delete", delete_topic));
  router.add("POST", t + "/{topic}/messages",
             endpoint(ctx, "topic.publish", publish, Audit::refusals));
  router.add("POST", t + "/{topic}/messages/batch",
             endpoint(ctx, "topic.publish", publish_batch, Audit::refusals));
  const std::string s = t + "/{topic}/subscriptions";
  router.add("POST", s, endpoint(ctx, "subscription.create", subscribe));
  router.add("GET", s, endpoint(ctx, "subscription.list", list_subscriptions));
  router.add("POST", s + "/{subscription}/pull",
             endpoint_later(ctx, "subscription.pull", pull, Audit::refusals));
  router.add("POST", s + "/{subscription}/ack",
             endpoint(ctx, "subscription.ack", settle<true>, Audit::refusals));
  router.add("POST", s + "/{subscription}/nack",
             endpoint(ctx, "subscription.nack", settle<false>, Audit::refusals));
  const std::string a = "/agent/v1/topics/{topic}";
  router.add("POST", a + "/messages", for_agents(ctx, agent_publish));
  router.add("POST", a + "/subscriptions/{subscription}/pull", for_agents(ctx, agent_pull));
  router.add("POST", a + "/subscriptions/{subscription}/ack", for_agents(ctx, agent_settle<true>));
  router.add("POST", a + "/subscriptions/{subscription}/nack",
             for_agents(ctx, agent_settle<false>));
}

}  // namespace ris::api
