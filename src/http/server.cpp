#include "http/server.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <restinio/all.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <thread>
#include "http/problem.hpp"
#include "http/static_files.hpp"

namespace waiver::http {
namespace {

// With RESTinio's connection count limiter: past max_connections, new connections wait in the
// listen queue until others close.
struct traits_t : restinio::traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t> {
  static constexpr bool use_connection_count_limiter = true;
};

// Requests between the start of their handling and the end of writing their answer, and whether
// the server is stopping (answers then close their connection).
// An io_context whose pending handlers can be destroyed while the server still exists: a
// connection dropped at the end gives its slot back to the acceptor's connection counter, so the
// acceptor must outlive it (ASan caught a use after free when the io_context went last).
struct IoContext : asio::io_context {
  void destroy_pending_handlers() { shutdown(); }
};

struct InFlight {
  std::atomic<int> count{0};
  std::atomic<bool> draining{false};
};

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

bool is_token_char(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// What the HTTP parser lets through but RFC 9112 says to refuse: header names that are not
// tokens ("Host : x"), and CR, LF or NUL in a value. (An obsolete line folding arrives joined
// with spaces, as the RFC also allows; RESTinio does not pass on the HTTP version, so HTTP/0.9 and
// HTTP/3.0 request lines are read as 1.1.) Empty when the head is sound.
std::string malformed_head(const restinio::request_handle_t& req) {
  const auto& h = req->header();
  std::string reason;
  h.for_each_field([&](const restinio::http_header_field_t& f) {
    if (!reason.empty()) return;
    const std::string& name = f.name();
    if (name.empty() ||
        !std::all_of(name.begin(), name.end(), [](unsigned char c) { return is_token_char(c); }))
      reason = "a header name holds a character that is not allowed";
    else if (f.value().find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      reason = "the header " + name + " holds a line break or a NUL byte (obsolete line folding is refused)";
  });
  return reason;
}

bool has_header(const HttpResponse& res, std::string_view name) {
  return std::any_of(res.headers.begin(), res.headers.end(), [&](const auto& h) { return h.first == name; });
}

// A new request id: 16 hex digits from a 64-bit sequence per thread (splitmix64), seeded once from
// the system's random source. An id correlates log lines and is no secret: one getrandom call per
// thread is enough (one per request was 1 % of a GET by id).
std::string new_request_id() {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    randombytes_buf(&seed, sizeof seed);
    return seed;
  }();
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) id[static_cast<std::size_t>(i)] = kHex[z & 0xF];
  return id;
}

restinio::request_handling_status_t handle(Context& ctx, const std::filesystem::path& web_root,
                                           InFlight& in_flight, const restinio::request_handle_t& req) {
  const auto started = std::chrono::steady_clock::now();
  in_flight.count.fetch_add(1);
  HttpRequest plain_req = plain(req);
  // A request id from the client or the load balancer is kept when it is sane; else a new one.
  std::string request_id = plain_req.header("x-request-id").value_or("");
  if (request_id.empty() || request_id.size() > 64 ||
      !std::all_of(request_id.begin(), request_id.end(),
                   [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; }))
    request_id = new_request_id();
  plain_req.request_id = request_id;
  // Prometheus scrapes /metrics by convention: the same as /api/v1/metrics.
  if (plain_req.path == "/metrics") plain_req.path = "/api/v1/metrics";
  // /api goes to the route table; every other path is the web interface's (static files).
  const bool api = is_api_path(plain_req.path);
  const std::string malformed = malformed_head(req);
  HttpResponse res = !malformed.empty() ? problem(app::Error::Kind::bad_request, malformed)
                     : api              ? dispatch(ctx, plain_req)
                                        : serve_static(web_root, plain_req);
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
  if (in_flight.draining.load()) out.connection_close();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
          .count();
  const std::string route = !api ? "static" : plain_req.route.empty() ? "unmatched" : plain_req.route;
  ctx.metrics->observe(plain_req.method, route, res.status, static_cast<double>(micros) / 1e6);
  spdlog::info(
      "event=request request_id={} method={} route={} path=\"{}\" status={} duration_ms={:.3f} remote={}",
      request_id, plain_req.method, route, plain_req.path, res.status, static_cast<double>(micros) / 1000.0,
      plain_req.remote_address);
  // RESTinio calls this once the answer is written, or with an error when it never will be.
  return out.done([&in_flight](const asio::error_code&) { in_flight.count.fetch_sub(1); });
}

}  // namespace

void serve(Context& ctx, const ServerOptions& options) {
  IoContext io;
  InFlight in_flight;
  auto server = restinio::http_server_t<traits_t>(restinio::external_io_context(io), [&](auto& settings) {
    settings.port(options.port)
        .address(options.host)
        .request_handler([&ctx, &options, &in_flight](const restinio::request_handle_t& req) {
          return handle(ctx, options.web_root, in_flight, req);
        })
        .incoming_http_msg_limits(
            restinio::incoming_http_msg_limits_t{}
                .max_url_size(8 * 1024)
                .max_field_name_size(1024)
                .max_field_value_size(16 * 1024)
                .max_field_count(100)
                .max_body_size(std::max<std::size_t>(ctx.limits.max_body * 16, 16u << 20)))
        .max_parallel_connections(std::max<std::size_t>(options.max_connections, 1))
        // From the first byte of a request to its last (RESTinio does not restart it per byte):
        // a client sending its headers slowly is cut off, whatever its pace.
        .read_next_http_message_timelimit(options.read_timeout)
        .write_http_response_timelimit(options.write_timeout)
        .handle_request_timeout(options.handler_timeout);
  });
  // SIGTERM/SIGINT: stop accepting, then wait until no request has been in flight for a moment
  // (requests already read from open connections get handled and answered), at most
  // shutdown_grace; then stop, dropping idle keep-alive connections.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer drain_timer(io);
  const auto drain_deadline = std::make_shared<std::chrono::steady_clock::time_point>();
  const auto quiet_ticks = std::make_shared<int>(0);
  std::function<void()> check_drained = [&] {
    drain_timer.expires_after(std::chrono::milliseconds(50));
    drain_timer.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      *quiet_ticks = in_flight.count.load() == 0 ? *quiet_ticks + 1 : 0;
      const bool late = std::chrono::steady_clock::now() >= *drain_deadline;
      if (*quiet_ticks >= 4 || late) {
        if (late && in_flight.count.load() > 0)
          spdlog::warn("event=stopped reason=\"shutdown_grace_seconds passed\" in_flight={}",
                       in_flight.count.load());
        else
          spdlog::info("event=stopped reason=\"no request in flight\"");
        io.stop();
        return;
      }
      check_drained();
    });
  };
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    spdlog::info("event=stopping reason=\"finishing the requests in flight\" in_flight={}",
                 in_flight.count.load());
    in_flight.draining.store(true);
    *drain_deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    server.close_async([&] { check_drained(); }, [&](std::exception_ptr) { io.stop(); });
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
  io.destroy_pending_handlers();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace waiver::http
