// The one place where errors become HTTP: status codes and application/problem+json bodies.
#pragma once
#include "app/error.hpp"
#include "http/message.hpp"

namespace waiver::http {

int status_of(app::Error::Kind kind);
HttpResponse problem(const app::Error& error);
HttpResponse problem(app::Error::Kind kind, std::string detail);

}  // namespace waiver::http
