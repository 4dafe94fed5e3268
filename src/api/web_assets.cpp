// The dashboard's files, compiled into risd: "/" serves index.html (never cached, so a new
// risd's dashboard is picked up at once) and "/assets/NAME" the hashed bundles Vite emits
// (cached for a year: a changed file gets a new name). The Content-Security-Policy allows
// only this origin: no inline scripts, no CDN, no third-party connections.
#include <span>

#include "handlers.hpp"
#include "ris/core/embedded_file.hpp"

namespace ris::api {

std::span<const EmbeddedFile> web_asset_files();

namespace {
constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

std::string_view content_type_of(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".html"))
    return "text/html; charset=utf-8";
  if (ends(".js"))
    return "text/javascript; charset=utf-8";
  if (ends(".css"))
    return "text/css; charset=utf-8";
  if (ends(".svg"))
    return "image/svg+xml";
  if (ends(".png"))
    return "image/png";
  if (ends(".woff2"))
    return "font/woff2";
  return "application/octet-stream";
}

const EmbeddedFile* find(std::string_view name) {
  for (const auto& f : web_asset_files())
    if (f.name == name)
      return &f;
  return nullptr;
}

net::Response file_response(const EmbeddedFile& f, bool immutable) {
  net::Response r;
  r.content_type = std::string(content_type_of(f.name));
  r.body = std::string(f.data);
  r.headers = {{"Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache"},
               {"Content-Security-Policy", std::string(kCsp)},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"}};
  return r;
}
}  // namespace

void register_web_routes(net::Router& router) {
  router.add("GET", "/", [](net::Request&, net::Reply reply) {
    const EmbeddedFile* index = find("index.html");
    reply(index ? file_response(*index, false)
                : net::problem(404, "not-found", "Not found", "no dashboard in this build"));
  });
  router.add("GET", "/assets/{file}", [](net::Request& req, net::Reply reply) {
    const std::string& name = req.params["file"];
    const EmbeddedFile* f = name == "index.html" ? nullptr : find(name);
    reply(f ? file_response(*f, true)
            : net::problem(404, "not-found", "Not found", "no asset named \"" + name + "\""));
  });
}

}  // namespace ris::api
