// risctl's entry: parses the command line, dispatches, and signs in and out.
#include "ris/cli/cli.hpp"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>

#include "help.hpp"
#include "output.hpp"
#include "ris/security/secure_file.hpp"
#include "session.hpp"

#ifndef RIS_VERSION
#define RIS_VERSION "dev"
#endif

namespace ris::cli {
namespace json = boost::json;

namespace {
std::atomic<int> g_interrupts{0};

void on_sigint(int) {
  if (g_interrupts.fetch_add(1) >= 1)
    _exit(130);
}

const FlagSpec kFlags{{"context",
                       "space",
                       "config",
                       "output",
                       "selector",
                       "user",
                       "ca-file",
                       "ca-hash",
                       "totp",
                       "name",
                       "file",
                       "permissions",
                       "ttl",
                       "uses",
                       "labels",
                       "description",
                       "color",
                       "timeout",
                       "to-version",
                       "state",
                       "limit",
                       "actor",
                       "action",
                       "outcome",
                       "tail",
                       "expected-revision",
                       "from-revision",
                       "env",
                       "to",
                       "on-failure"},
                      {"help", "watch", "password-stdin", "one", "script", "no-wait", "follow",
                       "create-only", "json", "check-hosts", "repair"}};

// A line from the terminal with echo off (passwords), or from stdin.
std::string read_secret(const std::string& prompt, bool echo) {
  std::string line;
  const bool tty = isatty(STDIN_FILENO);
  if (tty) {
    std::cerr << prompt << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    if (!echo) {
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    if (!echo)
      std::cerr << "\n";
  } else {
    std::getline(std::cin, line);
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.pop_back();
  return line;
}

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
}  // namespace

bool interrupted() {
  return g_interrupts.load() > 0;
}
void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

Result<Api> Session::api() {
  RIS_TRY(auto api, Api::open(config, config_path, args.get("context")));
  if (args.has("space"))
    api.override_space(args.get("space"));
  return api;
}

Result<std::pair<Api, std::string>> Session::space_api() {
  RIS_TRY(auto api, this->api());
  RIS_TRY(auto space, api.space_path());
  return std::pair<Api, std::string>(std::move(api), std::move(space));
}

int Session::error(const std::string& message) const {
  std::cerr << "error: " << message << "\n";
  return 1;
}

std::string Session::colour(int code, const std::string& text) const {
  if (!tty_out || std::getenv("NO_COLOR"))
    return text;
  return "\033[" + std::to_string(code) + "m" + text + "\033[0m";
}

int cmd_login(Session& s) {
  if (s.args.positional.size() != 2)
    return std::cerr << *command_help("login"), 2;
  // Several servers of one cluster: "https://a:8057,https://b:8057", tried in order.
  auto urls = parse_server_list(s.args.positional[1]);
  if (!urls)
    return s.error(urls.error().message);
  net::ClientTls tls;
  if (s.args.has("ca-file")) {
    auto pem = security::read_small_file(s.args.get("ca-file"), security::kAnyMode);
    if (!pem || !*pem)
      return s.error("cannot read the CA file " + s.args.get("ca-file") +
                     (pem ? std::string(": no such file") : ": " + pem.error().message));
    tls.ca_pem = **pem;
  } else if (s.args.has("ca-hash")) {
    tls.ca_sha256 = s.args.get("ca-hash");
  } else {
    tls.system_roots = true;
  }
  std::string user = s.args.get("user");
  if (user.empty()) {
    if (!isatty(STDIN_FILENO))
      return s.error("--user is required when not on a terminal");
    user = read_secret("User (email or username): ", true);
  }
  if (!s.args.has("password-stdin") && !isatty(STDIN_FILENO))
    return s.error("no terminal to ask the password on: pass it with --password-stdin");
  const std::string password = read_secret("Password: ", false);

  json::object body{{"login", user}, {"password", password}};
  if (s.args.has("totp"))
    body["totp"] = s.args.get("totp");
  // The first server that can be reached signs in (a refused password is an answer).
  std::unique_ptr<net::HttpsClient> client;
  Result<net::ClientReply> reply = fail(Errc::unavailable, "no server");
  for (size_t i = 0; i < urls->size(); ++i) {
    if (i > 0)
      std::cerr << "note: " << reply.error().message << "; trying " << server_text((*urls)[i])
                << "\n";
    client = std::make_unique<net::HttpsClient>((*urls)[i], tls);
    reply = client->request("POST", "/api/v1/auth/login", json::serialize(body),
                            {{"Content-Type", "application/json"}});
    if (reply || reply.error().code != Errc::unavailable || client->request_sent())
      break;
  }
  if (!reply)
    return s.error(reply.error().message);
  if (reply->status == 401 && api_error(reply->status, reply->body).type == "totp-required") {
    if (!isatty(STDIN_FILENO))
      return s.error("this account has 2FA on: pass the code with --totp CODE");
    body["totp"] = read_secret("2FA code (or a recovery code): ", true);
    reply = client->request("POST", "/api/v1/auth/login", json::serialize(body),
                            {{"Content-Type", "application/json"}});
    if (!reply)
      return s.error(reply.error().message);
  }
  if (reply->status != 200)
    return s.error("sign-in refused: " + api_error(reply->status, reply->body).message);
  const auto tokens = json::parse(reply->body).as_object();

  const net::Url& first = urls->front();
  const std::string name = s.args.get("name", first.host + ":" + std::to_string(first.port));
  Context& ctx = s.config.contexts[name];
  ctx.server.clear();
  for (const auto& u : *urls)
    ctx.server += (ctx.server.empty() ? "" : ",") + server_text(u);
  ctx.ca_pem = tls.ca_pem.empty() ? reply->server_ca_pem : tls.ca_pem;
  ctx.user = user;
  ctx.access_token = str(tokens, "access_token");
  ctx.refresh_token = str(tokens, "refresh_token");
  s.config.current = name;
  if (auto saved = save_config(s.config_path, s.config); !saved)
    return s.error(saved.error().message);

  // The default space: --space, else the only (or first) one.
  auto api = s.api();
  if (!api)
    return s.error(api.error().message);
  std::string space_note;
  if (s.args.has("space")) {
    auto id = api->space_id(s.args.get("space"));
    if (!id)
      return s.error(id.error().message);
    ctx.space = *id;
    ctx.space_name = s.args.get("space");
  } else if (auto spaces = api->call("GET", "/api/v1/spaces"); spaces) {
    const auto& items = spaces->as_object().at("items").as_array();
    if (!items.empty()) {
      ctx.space = str(items[0].as_object(), "id");
      ctx.space_name = str(items[0].as_object(), "name");
    }
    if (items.size() > 1)
      space_note = " (you are in " + std::to_string(items.size()) +
                   " spaces: risctl context set-space NAME to change)";
  }
  if (auto saved = save_config(s.config_path, s.config); !saved)
    return s.error(saved.error().message);
  std::cout << "Signed in to " << ctx.server << " as " << user << " (context \"" << name << "\""
            << (ctx.space_name.empty() ? ", no space yet" : ", space " + ctx.space_name) << ")"
            << space_note << "\n";
  return 0;
}

int cmd_logout(Session& s) {
  auto api = s.api();
  if (!api)
    return s.error(api.error().message);
  Context& ctx = api->context();
  if (!ctx.refresh_token.empty()) {
    auto r = api->call("POST", "/api/v1/auth/logout",
                       json::value(json::object{{"refresh_token", ctx.refresh_token}}));
    if (!r && api->last_error().status != 401)
      std::cerr << "warning: the server did not confirm: " << r.error().message << "\n";
  }
  ctx.access_token.clear();
  ctx.refresh_token.clear();
  if (auto saved = save_config(s.config_path, s.config); !saved)
    return s.error(saved.error().message);
  std::cout << "Signed out of " << ctx.server << " (context \"" << api->context_name() << "\")\n";
  return 0;
}

int cmd_context(Session& s) {
  const auto& p = s.args.positional;
  const std::string verb = p.size() > 1 ? p[1] : "list";
  if (verb == "list") {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, c] : s.config.contexts)
      rows.push_back({name == s.config.current ? "*" : "", name, c.server, c.user,
                      c.space_name.empty() ? c.space : c.space_name,
                      c.refresh_token.empty() ? "signed out" : "signed in"});
    std::cout << render_table({"current", "name", "server", "user", "space", "session"}, rows);
    return 0;
  }
  if ((verb == "use" || verb == "delete") && p.size() == 3) {
    if (!s.config.contexts.contains(p[2]))
      return s.error("no context \"" + p[2] + "\" (risctl context list)");
    if (verb == "use") {
      s.config.current = p[2];
    } else {
      s.config.contexts.erase(p[2]);
      if (s.config.current == p[2])
        s.config.current.clear();
    }
    if (auto saved = save_config(s.config_path, s.config); !saved)
      return s.error(saved.error().message);
    std::cout << (verb == "use" ? "Using context \"" : "Deleted context \"") << p[2] << "\"\n";
    return 0;
  }
  if (verb == "set-space" && p.size() == 3) {
    auto api = s.api();
    if (!api)
      return s.error(api.error().message);
    auto id = api->space_id(p[2]);
    if (!id)
      return s.error(id.error().message);
    api->context().space = *id;
    api->context().space_name = p[2];
    if (auto saved = save_config(s.config_path, s.config); !saved)
      return s.error(saved.error().message);
    std::cout << "Context \"" << api->context_name() << "\" now uses space " << p[2] << "\n";
    return 0;
  }
  std::cerr << *command_help("context");
  return 2;
}

int run(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  auto args = parse_args(words, kFlags);
  if (!args) {
    std::cerr << "error: " << args.error().message << "\n";
    return 2;
  }
  Session s;
  s.args = std::move(*args);
  s.tty_out = isatty(STDOUT_FILENO);
  s.tty_err = isatty(STDERR_FILENO);
  const std::string command = s.args.positional.empty() ? "" : s.args.positional[0];
  if (command.empty() || command == "help") {
    const std::string* topic =
        s.args.positional.size() > 1 ? command_help(s.args.positional[1]) : nullptr;
    std::cout << (topic ? *topic : top_help());
    return command.empty() && !s.args.has("help") ? 2 : 0;
  }
  if (command == "version") {
    std::cout << "risctl " << RIS_VERSION << "\n";
    return 0;
  }
  const std::string* help = command_help(command);
  if (!help) {
    std::cerr << "error: unknown command \"" << command << "\"\n\n" << top_help();
    return 2;
  }
  if (s.args.has("help")) {
    std::cout << *help;
    return 0;
  }
  s.config_path =
      s.args.has("config") ? std::filesystem::path(s.args.get("config")) : config_path();
  auto config = load_config(s.config_path);
  if (!config)
    return s.error(config.error().message);
  s.config = std::move(*config);
  install_interrupt_handler();

  if (command == "login")
    return cmd_login(s);
  if (command == "logout")
    return cmd_logout(s);
  if (command == "context")
    return cmd_context(s);
  if (command == "get")
    return cmd_get(s);
  if (command == "describe")
    return cmd_describe(s);
  if (command == "create")
    return cmd_create(s);
  if (command == "delete")
    return cmd_delete(s);
  if (command == "edit")
    return cmd_edit(s);
  if (command == "exec")
    return cmd_exec(s);
  if (command == "logs")
    return cmd_logs(s);
  if (command == "scale")
    return cmd_service_action(s, "scale");
  if (command == "rollout")
    return cmd_rollout(s);
  if (command == "backup")
    return cmd_backup(s);
  if (command == "pause" || command == "resume")
    return cmd_schedule_pause(s, command == "pause");
  if (command == "fires")
    return cmd_fires(s);
  if (command == "kv")
    return cmd_kv(s);
  if (command == "pub")
    return cmd_pub(s);
  if (command == "deploy")
    return cmd_deploy(s);
  if (command == "sub")
    return cmd_sub(s);
  return cmd_completion(s);
}

}  // namespace ris::cli
