// Serving the built web interface (web/dist) for every path outside /api: files as they are,
// index.html for client-side routes, caching by Vite's naming, and the security headers a page
// needs (its Content-Security-Policy differs from the API's).
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace waiver::http {

// The Content-Security-Policy of the web interface: own scripts, styles, images and API only.
inline constexpr const char* kWebContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// True for /api and everything under /api/: those go to the API, never to a file.
bool is_api_path(std::string_view path);

// Answers GET or HEAD for `req.path` from the folder `root`:
// - an existing regular file below root: its bytes with a Content-Type from its extension;
//   under /assets/ (Vite's content-hashed names) cached for a year as immutable, else `no-cache`;
// - an unknown path whose last segment has no extension: index.html (the page routes itself);
// - anything else, any `..`, `.` or hidden segment, a bad %-escape or a path leaving root: 404;
// - other methods: 405 with Allow.
// Every answer carries Cache-Control, Content-Security-Policy and an ETag for files (a matching
// If-None-Match gets 304). Never throws.
HttpResponse serve_static(const std::filesystem::path& root, const HttpRequest& req);

// The Content-Type for a file name, by its extension (application/octet-stream when unknown).
std::string content_type_for(std::string_view file_name);

// The folder to serve when none is configured: `web/` beside the executable if it holds an
// index.html (an installed layout), else the source tree's web/dist (a build from source).
std::filesystem::path default_web_root();

}  // namespace waiver::http
