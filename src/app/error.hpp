// The one error type use cases return; src/http/problem.cpp maps it to HTTP statuses.
#pragma once
#include <string>
#include <tl/expected.hpp>
#include <utility>

#include "domain/errors.hpp"

namespace waiver::app {

struct Error {
  enum class Kind {
    bad_request,          // malformed input
    unauthorized,         // not signed in
    forbidden,            // not this caller's action
    not_found,            // unknown, or not visible to the caller
    conflict,             // not allowed in the current state
    precondition_failed,  // If-Match does not match
    too_large,            // body over the limit
    invalid,              // content breaks a rule
    too_many_requests,    // throttled; retry_after_seconds says when to try again
    unavailable,          // the database cannot be reached
  };
  Kind kind;
  std::string detail;
  domain::FieldErrors errors;
  int retry_after_seconds = 0;

  static Error from(const domain::Refusal& r);
  static Error make(Kind k, std::string detail) { return {k, std::move(detail), {}}; }
};

template <typename T>
using Outcome = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }
inline tl::unexpected<Error> fail(Error::Kind k, std::string detail) {
  return tl::unexpected<Error>(Error::make(k, std::move(detail)));
}

inline Error Error::from(const domain::Refusal& r) {
  using R = domain::Refusal::Kind;
  Kind k = Kind::invalid;
  switch (r.kind) {
    case R::not_found: k = Kind::not_found; break;
    case R::forbidden: k = Kind::forbidden; break;
    case R::conflict: k = Kind::conflict; break;
    case R::invalid: k = Kind::invalid; break;
  }
  return {k, r.detail, r.errors};
}

}  // namespace waiver::app
