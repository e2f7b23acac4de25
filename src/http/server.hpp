// Serving the API, and the web interface's files, over HTTP (RESTinio): the only file that includes the
// server library. Bodies up to 16 times the API limit are read and answered 413; larger ones close the
// connection, so a client cannot make the server buffer without bound.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "http/routes.hpp"

namespace waiver::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t threads = 4;
  std::filesystem::path web_root;  // the built web interface (index.html and assets/)
};

// Dispatches one request through the route table, catching everything: never throws.
HttpResponse dispatch(Context& ctx, HttpRequest& req);

// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
void serve(Context& ctx, const ServerOptions& options);

}  // namespace waiver::http
