// risctl deploy validate|plan FILE [--env E]: deployment files (docs/deploy.md), read here so
// that a file can be checked (in an editor's save hook, in CI) without a server.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "help.hpp"
#include "output.hpp"
#include "ris/deploy/plan.hpp"
#include "session.hpp"

namespace ris::cli {
namespace {

Result<std::string> read_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream in;
    in << std::cin.rdbuf();
    return in.str();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return fail(Errc::not_found, fmt::format("cannot read {}", path));
  std::ostringstream in;
  in << f.rdbuf();
  return in.str();
}

char mark(deploy::Change c) {
  switch (c) {
    case deploy::Change::create:
      return '+';
    case deploy::Change::update:
      return '~';
    case deploy::Change::remove:
      return '-';
    case deploy::Change::unchanged:
      return '=';
  }
  return '?';
}

}  // namespace

int cmd_deploy(Session& s) {
  const auto& p = s.args.positional;
  if (p.size() < 3 || (p[1] != "validate" && p[1] != "plan"))
    return std::cerr << *command_help("deploy"), 2;
  const std::string& file = p[2];
  auto text = read_file(file);
  if (!text)
    return s.error(text.error().message);
  const std::string env = s.args.get("env");
  const auto read = deploy::read_deployment(*text, env);
  if (!read.deployment) {
    std::cerr << deploy::format_diagnostics(file == "-" ? "<stdin>" : file, read.diagnostics);
    std::cerr << fmt::format("{}: {} problem{}\n", file, read.diagnostics.size(),
                             read.diagnostics.size() == 1 ? "" : "s");
    return 1;
  }
  const auto& d = *read.deployment;
  const auto plan = deploy::make_plan(d, {});
  if (p[1] == "validate") {
    std::cout << fmt::format("{}: valid{}: {} nodes, {} services in {} waves\n", file,
                             env.empty() ? "" : " for " + env, d.nodes.size(), d.services.size(),
                             plan.waves.size());
    return 0;
  }
  if (s.args.get("output") == "json") {
    std::cout << boost::json::serialize(deploy::to_json(plan)) << "\n";
    return 0;
  }
  std::cout << fmt::format("plan {}{}\n", plan.hash, env.empty() ? "" : " for " + env);
  std::cout << "compared with: nothing applied (risctl deploy apply is not built yet)\n";
  for (size_t w = 0; w < plan.waves.size(); ++w) {
    std::cout << fmt::format("wave {}:\n", w + 1);
    for (const auto& st : plan.waves[w]) {
      std::string fields;
      for (const auto& f : st.fields)
        fields += (fields.empty() ? ": " : ", ") + f;
      std::cout << fmt::format("  {} {:<24} {}{}\n", mark(st.change), st.service,
                               deploy::name_of(st.change), fields);
    }
  }
  return 0;
}

}  // namespace ris::cli
