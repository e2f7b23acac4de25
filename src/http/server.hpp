// Serving the API, and the web interface's files, over HTTP (RESTinio): the only file that includes the
// server library. Bodies up to 16 times the API limit are read and answered 413; larger ones close the
// connection, so a client cannot make the server buffer without bound.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "http/routes.hpp"

namespace waiver::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t threads = 4;
  std::filesystem::path web_root;            // the built web interface (index.html and assets/)
  std::size_t max_connections = 512;         // more wait in the listen queue
  std::chrono::seconds read_timeout{30};     // to read a whole request, from its first byte
  std::chrono::seconds write_timeout{30};    // to write a response
  std::chrono::seconds handler_timeout{60};  // to produce a response
  std::chrono::seconds shutdown_grace{30};   // SIGTERM: the longest wait for requests in flight
};

// Dispatches one request through the route table, catching everything: never throws.
HttpResponse dispatch(Context& ctx, HttpRequest& req);

// Serves until SIGINT or SIGTERM, then stops accepting, finishes the requests in flight (each
// answered with Connection: close) for at most shutdown_grace, and returns.
void serve(Context& ctx, const ServerOptions& options);

}  // namespace waiver::http
