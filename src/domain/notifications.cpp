#include "domain/notifications.hpp"

#include <algorithm>

namespace waiver::domain {
namespace {

class Recipients {
 public:
  Recipients(std::string actor) : actor_(std::move(actor)) {}

  void add(const std::string& to, NoticeKind kind, const std::string& slot = {}) {
    if (to.empty() || to == actor_) return;
    if (std::any_of(out_.begin(), out_.end(), [&](const Notice& n) { return n.to == to; })) return;
    out_.push_back({to, kind, slot, 0});
  }
  void add_all(const std::vector<std::string>& to, NoticeKind kind) {
    for (const auto& t : to) add(t, kind);
  }
  std::vector<Notice> take() { return std::move(out_); }

 private:
  std::string actor_;
  std::vector<Notice> out_;
};

bool is_waiting(const std::vector<const ApprovalSlot*>& slots, const std::string& name) {
  return std::any_of(slots.begin(), slots.end(), [&](const ApprovalSlot* s) { return s->slot == name; });
}

}  // namespace

std::string_view to_string(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::action_needed: return "action_needed";
    case NoticeKind::decided: return "decided";
    case NoticeKind::status_changed: return "status_changed";
    case NoticeKind::appeal_to_legal: return "appeal_to_legal";
    case NoticeKind::appeal_to_executives: return "appeal_to_executives";
    case NoticeKind::invited: return "invited";
    case NoticeKind::input_added: return "input_added";
    case NoticeKind::review_added: return "review_added";
    case NoticeKind::withdrawn: return "withdrawn";
    case NoticeKind::expiry_reminder: return "expiry_reminder";
    case NoticeKind::approval_reminder: return "approval_reminder";
    case NoticeKind::escalation: return "escalation";
  }
  return "status_changed";
}

std::vector<const ApprovalSlot*> waiting_slots(const ExceptionRequest& r) {
  std::vector<const ApprovalSlot*> out;
  if (r.status != Status::department_review && r.status != Status::policy_review) return out;
  for (const auto& s : r.approvals) {
    if (s.status != SlotStatus::pending || !s.required || s.stage != r.status) continue;
    if (s.slot == "owner" && !r.all_required_approved_except_owner()) continue;
    out.push_back(&s);
  }
  return out;
}

Instant waiting_since(const ExceptionRequest& r, const ApprovalSlot& slot) {
  Instant since = r.submitted_at.value_or(r.updated_at);
  if (slot.stage != Status::policy_review) return since;
  for (const auto& s : r.approvals) {
    if (&s == &slot || !s.at) continue;
    // The policy stage opens when the first approval is given; the owner's slot opens when the
    // last of the others is approved.
    if (s.stage == Status::department_review || (slot.slot == "owner" && s.required))
      since = std::max(since, *s.at);
  }
  return since;
}

std::vector<Notice> notices_for(const Step& step, const Audience& audience) {
  const ExceptionRequest& r = step.after;
  Recipients to(step.actor);
  const auto before_waiting = step.before ? waiting_slots(*step.before) : std::vector<const ApprovalSlot*>{};
  const auto after_waiting = waiting_slots(r);

  const std::string& a = step.action;
  if (a == "decide") {
    to.add(r.requester, NoticeKind::decided, step.slot);
  } else if (a == "appeal") {
    to.add_all(audience.legal, NoticeKind::appeal_to_legal);
    to.add(r.requester, NoticeKind::status_changed);
  } else if (a == "legal_opinion") {
    to.add_all(audience.executives, NoticeKind::appeal_to_executives);
    to.add(r.requester, NoticeKind::status_changed);
  } else if (a == "disposition") {
    if (r.status != Status::appeal_executive) to.add(r.requester, NoticeKind::status_changed);
  } else if (a == "expire" || a == "revoke" || a == "close" || a == "supersede") {
    to.add(r.requester, NoticeKind::status_changed);
    to.add(audience.policy_owner, NoticeKind::status_changed);
  } else if (a == "withdraw") {
    for (const ApprovalSlot* s : before_waiting)
      for (const auto& e : s->eligible) to.add(e, NoticeKind::withdrawn, s->slot);
  } else if (a == "invite") {
    to.add(audience.invitee, NoticeKind::invited);
  } else if (a == "input") {
    to.add(r.requester, NoticeKind::input_added);
  } else if (a == "review") {
    to.add(r.requester, NoticeKind::review_added);
  }
  // Whoever can fill a slot that has just opened is told.
  for (const ApprovalSlot* s : after_waiting) {
    if (is_waiting(before_waiting, s->slot) && step.before && step.before->status == r.status) continue;
    for (const auto& e : s->eligible) to.add(e, NoticeKind::action_needed, s->slot);
  }
  return to.take();
}

std::optional<int> expiry_threshold_due(const ExceptionRequest& r, Date today, std::vector<int> thresholds) {
  if (r.status != Status::active || !r.decision_end_on) return std::nullopt;
  const int left = days_between(today, *r.decision_end_on);
  if (left < 0) return std::nullopt;
  std::sort(thresholds.begin(), thresholds.end());
  for (int t : thresholds)
    if (t >= left && t > 0) return t;
  return std::nullopt;
}

}  // namespace waiver::domain
