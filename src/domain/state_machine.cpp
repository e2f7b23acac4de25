#include "domain/state_machine.hpp"

#include <array>

namespace waiver::domain {
namespace {

using S = Status;
using A = Action;

constexpr std::array kTransitions{
    Transition{S::draft, A::edit, S::draft},
    Transition{S::draft, A::submit, S::department_review},
    Transition{S::draft, A::withdraw, S::withdrawn},

    Transition{S::changes_requested, A::edit, S::changes_requested},
    Transition{S::changes_requested, A::submit, S::department_review},
    Transition{S::changes_requested, A::withdraw, S::withdrawn},

    Transition{S::department_review, A::approve_first, S::policy_review},
    Transition{S::department_review, A::reject, S::denied},
    Transition{S::department_review, A::request_changes, S::changes_requested},
    Transition{S::department_review, A::withdraw, S::withdrawn},

    Transition{S::policy_review, A::approve_slot, S::policy_review},
    Transition{S::policy_review, A::approve_owner, S::active},
    Transition{S::policy_review, A::reject, S::denied},
    Transition{S::policy_review, A::request_changes, S::changes_requested},
    Transition{S::policy_review, A::withdraw, S::withdrawn},

    Transition{S::denied, A::appeal, S::appeal_legal},
    Transition{S::appeal_legal, A::legal_opinion, S::appeal_executive},
    Transition{S::appeal_executive, A::dispose, S::appeal_executive},
    Transition{S::appeal_executive, A::dispose_granted, S::active},
    Transition{S::appeal_executive, A::dispose_upheld, S::denied_final},

    Transition{S::active, A::extend, S::active},
    Transition{S::active, A::review, S::active},
    Transition{S::active, A::close, S::closed},
    Transition{S::active, A::revoke, S::revoked},
    Transition{S::active, A::expire, S::expired},
    Transition{S::active, A::supersede, S::superseded},

    // Experts are invited while someone still has to decide.
    Transition{S::department_review, A::invite, S::department_review},
    Transition{S::policy_review, A::invite, S::policy_review},
    Transition{S::appeal_legal, A::invite, S::appeal_legal},
    Transition{S::appeal_executive, A::invite, S::appeal_executive},

    // Comments and inputs on every request that is still alive.
    Transition{S::draft, A::comment, S::draft},
    Transition{S::changes_requested, A::comment, S::changes_requested},
    Transition{S::department_review, A::comment, S::department_review},
    Transition{S::policy_review, A::comment, S::policy_review},
    Transition{S::denied, A::comment, S::denied},
    Transition{S::appeal_legal, A::comment, S::appeal_legal},
    Transition{S::appeal_executive, A::comment, S::appeal_executive},
    Transition{S::active, A::comment, S::active},
};

}  // namespace

std::span<const Transition> transitions() { return kTransitions; }

std::optional<Status> next_status(Status from, Action action) {
  for (const auto& t : kTransitions)
    if (t.from == from && t.action == action) return t.to;
  return std::nullopt;
}

}  // namespace waiver::domain
