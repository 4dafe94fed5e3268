// A plan: the deployment's services against what is applied, in waves by dependency.
#include "ris/deploy/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "ris/security/digest.hpp"

namespace ris::deploy {
namespace json = boost::json;

namespace {

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// The JSON pointers where `a` and `b` differ: leaves of objects; a list is one field.
void differences(const json::value& a, const json::value& b, const std::string& at,
                 std::vector<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& kv : a.as_object())
      keys.insert(std::string(kv.key()));
    for (const auto& kv : b.as_object())
      keys.insert(std::string(kv.key()));
    for (const auto& k : keys) {
      const json::value* x = a.as_object().if_contains(k);
      const json::value* y = b.as_object().if_contains(k);
      const std::string here = at + "/" + pointer_token(k);
      if (x == nullptr || y == nullptr)
        out.push_back(here);
      else
        differences(*x, *y, here, out);
    }
    return;
  }
  if (a != b)
    out.push_back(at.empty() ? "/" : at);
}

}  // namespace

std::string_view name_of(Change c) {
  switch (c) {
    case Change::create:
      return "create";
    case Change::update:
      return "update";
    case Change::remove:
      return "remove";
    case Change::unchanged:
      return "unchanged";
  }
  return "?";
}

Plan make_plan(const Deployment& d, const Live& live) {
  Plan p;
  p.environment = d.environment;
  // Kahn's algorithm by levels: a wave is every service whose dependencies are all placed.
  std::map<std::string, const ServiceDef*> pending;
  for (const auto& s : d.services)
    pending[s.name] = &s;
  std::set<std::string> placed;
  while (!pending.empty()) {
    std::vector<Step> wave;
    for (const auto& [name, s] : pending) {
      const bool ready =
          std::all_of(s->depends_on.begin(), s->depends_on.end(),
                      [&](const Dependency& x) { return placed.contains(x.service); });
      if (!ready)
        continue;
      Step step{name, Change::create, {}, s->on};
      if (auto it = live.find(name); it != live.end()) {
        differences(it->second, s->spec, "", step.fields);
        step.change = step.fields.empty() ? Change::unchanged : Change::update;
      }
      wave.push_back(std::move(step));
    }
    if (wave.empty())
      break;  // a cycle: read_deployment refuses those, so this is never reached
    for (const auto& st : wave) {
      placed.insert(st.service);
      pending.erase(st.service);
    }
    p.waves.push_back(std::move(wave));
  }
  std::vector<Step> removals;
  for (const auto& [name, spec] : live) {
    if (placed.contains(name) || pending.contains(name))
      continue;
    Step step{name, Change::remove, {}, {}};
    if (const auto* on = spec.if_contains("on"); on && on->is_array())
      for (const auto& n : on->as_array())
        if (n.is_string())
          step.nodes.emplace_back(n.as_string());
    removals.push_back(std::move(step));
  }
  if (!removals.empty())
    p.waves.push_back(std::move(removals));

  // The hash covers what was planned from and against: the same inputs, the same hash.
  json::object services;
  for (const auto& s : d.services)
    services[s.name] = s.spec;
  json::object applied;
  for (const auto& [name, spec] : live)
    applied[name] = spec;
  const json::object basis{{"environment", d.environment},
                           {"services", std::move(services)},
                           {"live", std::move(applied)}};
  p.hash = "sha256:" + security::sha256_hex(json::serialize(basis));
  return p;
}

json::object to_json(const Plan& p) {
  json::array waves;
  for (const auto& wave : p.waves) {
    json::array steps;
    for (const auto& st : wave) {
      json::array nodes;
      for (const auto& n : st.nodes)
        nodes.emplace_back(n);
      json::object o{{"service", st.service}, {"change", name_of(st.change)}, {"nodes", nodes}};
      if (st.change == Change::update) {
        json::array fields;
        for (const auto& f : st.fields)
          fields.emplace_back(f);
        o["fields"] = std::move(fields);
      }
      steps.push_back(std::move(o));
    }
    waves.push_back(std::move(steps));
  }
  return {{"environment", p.environment}, {"waves", std::move(waves)}, {"hash", p.hash}};
}

}  // namespace ris::deploy
