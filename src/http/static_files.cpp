#include "http/static_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "app/percent_encoding.hpp"
#include "http/problem.hpp"

#ifndef WAIVER_SOURCE_WEB_ROOT
#define WAIVER_SOURCE_WEB_ROOT ""
#endif

namespace waiver::http {
namespace {

namespace fs = std::filesystem;

constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kRevalidate = "no-cache";

// Errors are problem+json, as the API's, with the page's security policy.
HttpResponse with_page_headers(HttpResponse r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Content-Security-Policy", kWebContentSecurityPolicy);
  return r;
}

HttpResponse not_found() { return with_page_headers(problem(app::Error::Kind::not_found, "no such file")); }

// The decoded, checked segments of a URL path; nothing when a segment is unsafe to map to a file.
std::optional<std::vector<std::string>> safe_segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto raw = path.substr(start, end - start);
    start = end + 1;
    if (raw.empty()) continue;  // "//" and a trailing "/"
    auto seg = app::percent_decoded(raw);
    if (!seg || seg->empty() || seg->front() == '.') return std::nullopt;  // "..", ".", dotfiles
    if (std::any_of(seg->begin(), seg->end(),
                    [](unsigned char c) { return c == '/' || c == '\\' || c < 0x20 || c == 0x7f; }))
      return std::nullopt;
    out.push_back(std::move(*seg));
  }
  return out;
}

std::string etag_of(const fs::path& file, std::uintmax_t size) {
  std::error_code ec;
  const auto mtime = fs::last_write_time(file, ec);
  const auto ticks = ec ? 0 : mtime.time_since_epoch().count();
  std::ostringstream s;
  s << '"' << std::hex << size << '-' << static_cast<unsigned long long>(ticks) << '"';
  return s.str();
}

// The answer for one file that exists, honouring If-None-Match.
HttpResponse file_response(const fs::path& file, const HttpRequest& req, const char* cache_control) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return not_found();
  const std::string etag = etag_of(file, size);
  HttpResponse r;
  r.content_type = content_type_for(file.filename().string());
  r.headers.emplace_back("Cache-Control", cache_control);
  r.headers.emplace_back("Content-Security-Policy", kWebContentSecurityPolicy);
  r.headers.emplace_back("ETag", etag);
  if (req.header("if-none-match").value_or("") == etag) {
    r.status = 304;
    return r;
  }
  if (req.method == "HEAD") return r;
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found();
  std::ostringstream body;
  body << in.rdbuf();
  r.body = std::move(body).str();
  return r;
}

bool is_regular_file_below(const fs::path& root, const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return false;
  // Symbolic links may not lead out of the folder.
  const auto real_root = fs::weakly_canonical(root, ec);
  if (ec) return false;
  const auto real_file = fs::weakly_canonical(file, ec);
  if (ec) return false;
  const auto [r, f] = std::mismatch(real_root.begin(), real_root.end(), real_file.begin(), real_file.end());
  return r == real_root.end();
}

}  // namespace

bool is_api_path(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

std::string content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  }};
  const auto dot = name.rfind('.');
  if (dot != std::string_view::npos) {
    std::string ext(name.substr(dot));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const auto& [e, type] : kTypes)
      if (e == ext) return std::string(type);
  }
  return "application/octet-stream";
}

HttpResponse serve_static(const fs::path& root, const HttpRequest& req) {
  try {
    if (req.method != "GET" && req.method != "HEAD") {
      return with_page_headers(method_not_allowed(req.method, req.path, "GET, HEAD"));
    }
    const fs::path index = root / "index.html";
    std::error_code ec;
    if (root.empty() || !fs::is_regular_file(index, ec))
      return with_page_headers(
          problem(app::Error::Kind::not_found,
                  "The web interface is not built. Run `make web`, or set web_root (WAIVER_WEB_ROOT) to "
                  "the folder that holds its index.html. The API is under /api/v1."));
    const auto segments = safe_segments(req.path);
    if (!segments) return not_found();
    fs::path file = root;
    for (const auto& s : *segments) file /= s;
    const bool hashed_asset = segments->size() > 1 && segments->front() == "assets";
    if (!segments->empty() && is_regular_file_below(root, file))
      return file_response(file, req,
                           hashed_asset && file.filename() != "index.html" ? kImmutable : kRevalidate);
    // A client-side route (no extension in its last segment) gets the page; a missing file is 404.
    if (segments->empty() || segments->back().find('.') == std::string::npos)
      return file_response(index, req, kRevalidate);
    return not_found();
  } catch (...) {
    return with_page_headers(problem(app::Error::Kind::unavailable, "the file could not be read"));
  }
}

fs::path default_web_root() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = exe.parent_path() / "web";
    if (fs::is_regular_file(beside / "index.html", ec)) return beside;
  }
  return fs::path(WAIVER_SOURCE_WEB_ROOT);
}

}  // namespace waiver::http
