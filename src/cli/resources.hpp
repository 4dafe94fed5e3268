// The resources risctl lists and shows: where they live in the REST API and how a table shows
// them. One table for every verb, so that get, describe, delete and completion agree.
#pragma once
#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <vector>

#include "api.hpp"

namespace ris::cli {

struct Column {
  std::string header;
  std::function<std::string(const boost::json::object&)> value;
  bool age = false;  // "3s ago": changes by itself, so --watch does not count it as a change
};

struct Resource {
  std::string name;                  // plural: "agents"
  std::vector<std::string> aliases;  // "agent", "ag"
  bool in_space = true;              // under /api/v1/spaces/{space}
  std::string path;                  // "/agents" (relative to the space) or absolute
  std::string key = "name";          // what NAME matches (besides "id") and -o name prints
  std::vector<Column> columns;
  bool live = false;  // has an /events/v1 topic for --watch
};

const std::vector<Resource>& resources();
const Resource* find_resource(const std::string& word);
std::string resource_names();  // "agents, tasks, …" for messages

// The collection's URL for `r` (space resolved through `api`).
Result<std::string> collection_url(Api& api, const Resource& r);
// Lists `r`'s items (with the query string, e.g. "?selector=…").
Result<boost::json::array> list_items(Api& api, const Resource& r, const std::string& query = "");
// The item whose id or key is `name`; an error listing close names when there is none.
Result<boost::json::object> find_item(Api& api, const Resource& r, const std::string& name);

}  // namespace ris::cli
