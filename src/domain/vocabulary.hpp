// The words of the process: states, actions, types, classifications, risk levels, roles.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace waiver::domain {

enum class Status {
  draft,
  department_review,
  policy_review,
  changes_requested,
  active,
  denied,
  withdrawn,
  appeal_legal,
  appeal_executive,
  denied_final,
  expired,
  revoked,
  closed,
  superseded,
};

enum class Action {
  edit,
  submit,
  approve_first,    // the department slot approved
  approve_slot,     // a policy_review slot other than the owner's approved
  approve_owner,    // the owner's approval: the final decision
  reject,           // any slot
  request_changes,  // any slot
  withdraw,
  appeal,
  legal_opinion,
  dispose,          // one executive recorded, the other not yet
  dispose_granted,  // the second executive recorded; both granted
  dispose_upheld,   // the second executive recorded; at least one upheld
  extend,
  review,
  close,
  revoke,
  expire,
  supersede,
  invite,   // an expert invited: no change of state
  comment,  // an input or comment: no change of state
};

enum class ExceptionType { technology, access, configuration, process, device };
enum class DataClassification { RED, ORANGE, YELLOW, GREEN };
enum class RiskLevel { low, medium, high, critical };
enum class ControlStatus { planned, implemented, verified };
enum class SlotStatus { pending, approved, rejected, changes_requested };
enum class Decision { approve, reject, request_changes };
enum class Implications { none, current, planned };
enum class FirstApproval { department_head, maintainers };
enum class PolicyKind { policy, standard, procedure };
enum class Role { admin, security_compliance, legal, ceo, cfo, auditor };
enum class Disposition { grant, uphold };

template <typename E>
struct EnumNames;

#define WAIVER_ENUM_NAMES(E, ...)                   \
  template <>                                       \
  struct EnumNames<E> {                             \
    static constexpr std::array names{__VA_ARGS__}; \
  };

WAIVER_ENUM_NAMES(Status, "draft", "department_review", "policy_review", "changes_requested", "active",
                  "denied", "withdrawn", "appeal_legal", "appeal_executive", "denied_final", "expired",
                  "revoked", "closed", "superseded")
WAIVER_ENUM_NAMES(Action, "edit", "submit", "approve_first", "approve_slot", "approve_owner", "reject",
                  "request_changes", "withdraw", "appeal", "legal_opinion", "dispose", "dispose_granted",
                  "dispose_upheld", "extend", "review", "close", "revoke", "expire", "supersede", "invite",
                  "comment")
WAIVER_ENUM_NAMES(ExceptionType, "technology", "access", "configuration", "process", "device")
WAIVER_ENUM_NAMES(DataClassification, "RED", "ORANGE", "YELLOW", "GREEN")
WAIVER_ENUM_NAMES(RiskLevel, "low", "medium", "high", "critical")
WAIVER_ENUM_NAMES(ControlStatus, "planned", "implemented", "verified")
WAIVER_ENUM_NAMES(SlotStatus, "pending", "approved", "rejected", "changes_requested")
WAIVER_ENUM_NAMES(Decision, "approve", "reject", "request_changes")
WAIVER_ENUM_NAMES(Implications, "none", "current", "planned")
WAIVER_ENUM_NAMES(FirstApproval, "department_head", "maintainers")
WAIVER_ENUM_NAMES(PolicyKind, "policy", "standard", "procedure")
WAIVER_ENUM_NAMES(Role, "admin", "security_compliance", "legal", "ceo", "cfo", "auditor")
WAIVER_ENUM_NAMES(Disposition, "grant", "uphold")
#undef WAIVER_ENUM_NAMES

template <typename E>
constexpr std::string_view to_string(E value) {
  return EnumNames<E>::names[static_cast<std::size_t>(value)];
}

template <typename E>
constexpr std::optional<E> from_string(std::string_view text) {
  const auto& names = EnumNames<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

template <typename E>
constexpr std::size_t enum_count() {
  return EnumNames<E>::names.size();
}

// "a | b | c", for error messages that list the accepted values.
template <typename E>
std::string allowed_values() {
  std::string out;
  for (auto n : EnumNames<E>::names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Terminal states: nothing leaves them.
constexpr bool is_terminal(Status s) {
  return s == Status::withdrawn || s == Status::denied_final || s == Status::expired ||
         s == Status::revoked || s == Status::closed || s == Status::superseded;
}

// Before a decision: the requester may still withdraw.
constexpr bool is_undecided(Status s) {
  return s == Status::draft || s == Status::changes_requested || s == Status::department_review ||
         s == Status::policy_review;
}

}  // namespace waiver::domain
