// What applying a deployment would change: per service create/update/remove/unchanged (with
// the fields that differ, as JSON pointers), in waves by dependency, and a hash that names
// exactly this plan (the same file, environment and live state give the same hash).
#pragma once
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "ris/deploy/deployment.hpp"

namespace ris::deploy {

enum class Change { create, update, remove, unchanged };

struct Step {
  std::string service;
  Change change = Change::unchanged;
  std::vector<std::string> fields;  // for update: "/docker/image", "/on"
  std::vector<std::string> nodes;   // where it runs (for a removal: where it ran)
};

struct Plan {
  std::string environment;
  // Services whose dependencies are all in earlier waves; a wave's services can run in
  // parallel. Removals come last, as a wave of their own (dependents go before what they use).
  std::vector<std::vector<Step>> waves;
  std::string hash;  // "sha256:<hex>"
};

// The live state: each applied service's spec, as ServiceDef::spec was when applied.
using Live = std::map<std::string, boost::json::object>;

// `d` must be a Deployment read without diagnostics (so it has no cycle).
Plan make_plan(const Deployment& d, const Live& live);

std::string_view name_of(Change c);
boost::json::object to_json(const Plan& p);

}  // namespace ris::deploy
