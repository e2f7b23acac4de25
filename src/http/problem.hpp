// The one place where errors become HTTP: status codes and application/problem+json bodies.
#pragma once
#include "app/error.hpp"
#include "http/message.hpp"

namespace waiver::http {

// At most this many entries of `errors` are sent.
inline constexpr std::size_t kMaxProblemErrors = 100;

int status_of(app::Error::Kind kind);
HttpResponse problem(const app::Error& error);
HttpResponse problem(app::Error::Kind kind, std::string detail);
// 405 with Allow: not an app::Error (no use case refuses a method), but the same problem shape.
HttpResponse method_not_allowed(const std::string& method, const std::string& path,
                                const std::string& allowed);

}  // namespace waiver::http
