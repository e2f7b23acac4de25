#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <restinio/all.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>

#include <thread>
#include "app/secrets.hpp"
#include "http/static_files.hpp"

namespace waiver::http {
namespace {

using traits_t = restinio::traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t>;

const char* reason_of(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 204: return "No Content";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

HttpRequest plain(const restinio::request_handle_t& req) {
  HttpRequest r;
  const auto& h = req->header();
  r.method = h.method().c_str();
  r.path = std::string(h.path());
  auto query = restinio::try_parse_query<restinio::parse_query_traits::relaxed>(h.query());
  if (query)
    for (const auto& [k, v] : *query) r.query.emplace(std::string(k), std::string(v));
  else
    r.malformed_query = true;
  h.for_each_field([&](const restinio::http_header_field_t& f) {
    std::string name = f.name();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = f.value();
  });
  r.body = req->body();
  r.remote_address = req->remote_endpoint().address().to_string();
  return r;
}

bool has_header(const HttpResponse& res, std::string_view name) {
  return std::any_of(res.headers.begin(), res.headers.end(), [&](const auto& h) { return h.first == name; });
}

restinio::request_handling_status_t handle(Context& ctx, const std::filesystem::path& web_root,
                                           const restinio::request_handle_t& req) {
  const auto started = std::chrono::steady_clock::now();
  HttpRequest plain_req = plain(req);
  // A request id from the client or the load balancer is kept when it is sane; else a new one.
  std::string request_id = plain_req.header("x-request-id").value_or("");
  if (request_id.empty() || request_id.size() > 64 ||
      !std::all_of(request_id.begin(), request_id.end(),
                   [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; }))
    request_id = app::random_hex(8);
  plain_req.request_id = request_id;
  // Prometheus scrapes /metrics by convention: the same as /api/v1/metrics.
  if (plain_req.path == "/metrics") plain_req.path = "/api/v1/metrics";
  // /api goes to the route table; every other path is the web interface's (static files).
  const bool api = is_api_path(plain_req.path);
  HttpResponse res = api ? dispatch(ctx, plain_req) : serve_static(web_root, plain_req);
  auto out = req->create_response(restinio::http_status_line_t{
      restinio::http_status_code_t{static_cast<std::uint16_t>(res.status)}, reason_of(res.status)});
  out.append_header(restinio::http_field::content_type, res.content_type);
  out.append_header("X-Content-Type-Options", "nosniff");
  out.append_header("Referrer-Policy", "no-referrer");
  // The API's strict defaults, unless the answer (a page of the web interface) brings its own.
  if (!has_header(res, "Content-Security-Policy"))
    out.append_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  if (!has_header(res, "Cache-Control")) out.append_header("Cache-Control", "no-store");
  out.append_header("X-Request-Id", request_id);
  for (const auto& [name, value] : res.headers) out.append_header(name, value);
  out.set_body(std::move(res.body));
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
          .count();
  const std::string route = !api ? "static" : plain_req.route.empty() ? "unmatched" : plain_req.route;
  ctx.metrics->observe(plain_req.method, route, res.status, static_cast<double>(micros) / 1e6);
  spdlog::info(
      "event=request request_id={} method={} route={} path=\"{}\" status={} duration_ms={:.3f} remote={}",
      request_id, plain_req.method, route, plain_req.path, res.status, static_cast<double>(micros) / 1000.0,
      plain_req.remote_address);
  return out.done();
}

}  // namespace

void serve(Context& ctx, const ServerOptions& options) {
  asio::io_context io;
  auto server = restinio::http_server_t<traits_t>(restinio::external_io_context(io), [&](auto& settings) {
    settings.port(options.port)
        .address(options.host)
        .request_handler([&ctx, &options](const restinio::request_handle_t& req) {
          return handle(ctx, options.web_root, req);
        })
        .incoming_http_msg_limits(
            restinio::incoming_http_msg_limits_t{}
                .max_url_size(8 * 1024)
                .max_field_name_size(1024)
                .max_field_value_size(16 * 1024)
                .max_field_count(100)
                .max_body_size(std::max<std::size_t>(ctx.limits.max_body * 16, 16u << 20)))
        .read_next_http_message_timelimit(std::chrono::seconds(30))
        .write_http_response_timelimit(std::chrono::seconds(30))
        .handle_request_timeout(std::chrono::seconds(60));
  });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    spdlog::info("event=stopping reason=\"finishing the requests in flight\"");
    server.close_async([&] { io.stop(); }, [](std::exception_ptr) {});
  });
  std::exception_ptr failure;
  server.open_async([] {},
                    [&](std::exception_ptr ex) {
                      failure = ex;
                      io.stop();
                    });
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < options.threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace waiver::http
