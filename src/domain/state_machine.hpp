// The lifecycle of an exception request as one table: (state, action) -> state.
#pragma once
#include <optional>
#include <span>

#include "domain/vocabulary.hpp"

namespace waiver::domain {

struct Transition {
  Status from;
  Action action;
  Status to;
};

// Every allowed transition; any pair not listed is refused.
std::span<const Transition> transitions();

// The state an action leads to, or nothing when the action is not allowed in that state.
std::optional<Status> next_status(Status from, Action action);

}  // namespace waiver::domain
