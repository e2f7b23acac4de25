// Why the rules refuse something: field-level validation errors, and refusals by kind.
#pragma once
#include <string>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace waiver::domain {

// Named by the field at fault, as a dotted path: compensating_controls.0.status.
struct FieldError {
  std::string field;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

using FieldErrors = std::vector<FieldError>;

struct Refusal {
  enum class Kind {
    not_found,  // unknown, or not visible to the caller
    forbidden,  // not this person's action
    conflict,   // the right person at the wrong moment
    invalid,    // the content breaks a rule
  };
  Kind kind;
  std::string detail;
  FieldErrors errors;

  static Refusal not_found(std::string d) { return {Kind::not_found, std::move(d), {}}; }
  static Refusal forbidden(std::string d) { return {Kind::forbidden, std::move(d), {}}; }
  static Refusal conflict(std::string d) { return {Kind::conflict, std::move(d), {}}; }
  static Refusal invalid(std::string d, FieldErrors e) { return {Kind::invalid, std::move(d), std::move(e)}; }
  static Refusal invalid(std::string field, std::string message) {
    return {Kind::invalid, "invalid " + field, {{std::move(field), std::move(message)}}};
  }
};

// The outcome of a rule: a value, or why it was refused.
template <typename T>
using Result = tl::expected<T, Refusal>;

inline tl::unexpected<Refusal> refuse(Refusal r) { return tl::unexpected<Refusal>(std::move(r)); }

}  // namespace waiver::domain
