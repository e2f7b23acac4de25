// Who is told what when a request changes, and which approvals wait for whom: the rules of the
// process's notifications, free of mail, webhooks and storage.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "domain/exception_request.hpp"

namespace waiver::domain {

enum class NoticeKind {
  action_needed,         // a slot this person can fill has just opened
  decided,               // a slot was decided (approve, reject, request changes)
  status_changed,        // the request ended or changed state by a step that is not a slot decision
  appeal_to_legal,       // a denial was appealed: Legal writes an opinion
  appeal_to_executives,  // Legal's opinion is in: the CEO and CFO decide
  invited,               // invited as an expert
  input_added,           // an input or comment
  review_added,          // a review note on an active exception
  withdrawn,             // a request this person was to approve was withdrawn
  expiry_reminder,       // an active exception ends in `days` days
  approval_reminder,     // a slot has waited for this person longer than it should
  escalation,            // a slot has waited far too long: told to the policy owner
};

std::string_view to_string(NoticeKind kind);

struct Notice {
  std::string to;  // email
  NoticeKind kind = NoticeKind::status_changed;
  std::string slot;  // for action_needed, decided, reminders
  int days = 0;      // for expiry_reminder
  bool operator==(const Notice&) const = default;
};

// The people a notice may go to besides those the request names.
struct Audience {
  std::string policy_owner;
  std::vector<std::string> legal;
  std::vector<std::string> executives;  // the CEO and the CFO
  std::string invitee;                  // for invite
};

// A step of the process as the notices need to know it. `before` is empty for a new request.
struct Step {
  std::optional<ExceptionRequest> before;
  const ExceptionRequest& after;
  std::string action;  // the audit action: submit, decide, appeal, legal_opinion, ...
  std::string actor;   // email, or "system"
  std::string slot;    // for decide
};

// Who is told of a step: never the actor, at most one notice per person.
std::vector<Notice> notices_for(const Step& step, const Audience& audience);

// The slots that wait for someone now: pending, required, fillable in the request's state; the
// owner's only once every other required slot is approved.
std::vector<const ApprovalSlot*> waiting_slots(const ExceptionRequest& r);

// Since when a waiting slot has waited.
Instant waiting_since(const ExceptionRequest& r, const ApprovalSlot& slot);

// The expiry reminder due for an active exception on `today`: the smallest threshold (in days
// before the end date) that has been reached, if any. Each threshold is sent once, so a larger
// one that was skipped (the job did not run that day) is never sent late.
std::optional<int> expiry_threshold_due(const ExceptionRequest& r, Date today, std::vector<int> thresholds);

}  // namespace waiver::domain
