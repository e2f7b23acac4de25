#include "domain/process.hpp"

#include <algorithm>

#include "domain/state_machine.hpp"
#include "domain/validation.hpp"

namespace waiver::domain {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool is_requester(const Actor& a, const ExceptionRequest& r) { return a.email == r.requester; }
bool is_owner(const Actor& a, const ExceptionRequest& r) { return a.owns.contains(r.content.policy_id); }
bool heads_department(const Actor& a, const ExceptionRequest& r) {
  return !r.department.empty() && a.heads.contains(r.department);
}

// Moves `r` along the table, or refuses with 409.
Result<void> move(ExceptionRequest& r, Action action) {
  auto to = next_status(r.status, action);
  if (!to)
    return refuse(Refusal::conflict("not allowed while the request is " + std::string(to_string(r.status))));
  r.status = *to;
  return {};
}

Result<void> allowed_in_state(const ExceptionRequest& r, Action action) {
  if (!next_status(r.status, action))
    return refuse(Refusal::conflict("not allowed while the request is " + std::string(to_string(r.status))));
  return {};
}

Result<void> required_text(const std::string& field, const std::string& text, std::size_t max) {
  FieldErrors errors;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) errors.push_back({field, "is required"});
  check_text(errors, field, text, max);
  if (!errors.empty()) return refuse(Refusal::invalid("invalid " + field, errors));
  return {};
}

Result<void> optional_text(const std::string& field, const std::string& text, std::size_t max) {
  FieldErrors errors;
  check_text(errors, field, text, max);
  if (!errors.empty()) return refuse(Refusal::invalid("invalid " + field, errors));
  return {};
}

bool is_participant(const Actor& a, const ExceptionRequest& r) {
  if (is_requester(a, r) || heads_department(a, r) || is_owner(a, r) ||
      a.maintains.contains(r.content.policy_id) || r.is_invited(a.email))
    return true;
  return std::any_of(r.approvals.begin(), r.approvals.end(),
                     [&](const ApprovalSlot& s) { return contains(s.eligible, a.email) || s.by == a.email; });
}

bool sees_register(const Actor& a) {
  return a.has(Role::security_compliance) || a.has(Role::legal) || a.has(Role::ceo) || a.has(Role::cfo) ||
         a.has(Role::auditor) || a.has(Role::admin);
}

// The executive role this actor would record a disposition under, or a refusal.
Result<Role> executive_role(const ExceptionRequest& r, const Actor& actor, std::optional<Role> as) {
  const auto recorded = [&](Role role) {
    return std::any_of(r.appeal.dispositions.begin(), r.appeal.dispositions.end(),
                       [&](const ExecutiveDisposition& d) { return d.role == role; });
  };
  if (as && *as != Role::ceo && *as != Role::cfo) return refuse(Refusal::invalid("as", "must be ceo or cfo"));
  if (as && !actor.has(*as))
    return refuse(
        Refusal::forbidden("only the " + std::string(to_string(*as)) + " records that disposition"));
  if (!actor.has(Role::ceo) && !actor.has(Role::cfo))
    return refuse(Refusal::forbidden("only the CEO and the CFO record a disposition"));
  if (is_requester(actor, r)) return refuse(Refusal::forbidden("nobody decides their own appeal"));
  for (const auto& d : r.appeal.dispositions)
    if (d.by == actor.email)
      return refuse(
          Refusal::forbidden("the CEO's and the CFO's dispositions come from two different people"));
  if (as) return *as;
  if (actor.has(Role::ceo) && !recorded(Role::ceo)) return Role::ceo;
  if (actor.has(Role::cfo) && !recorded(Role::cfo)) return Role::cfo;
  return actor.has(Role::ceo) ? Role::ceo : Role::cfo;
}

}  // namespace

bool can_see(const Actor& actor, const ExceptionRequest& r) {
  return sees_register(actor) || is_participant(actor, r);
}

std::vector<std::string> allowed_actions(const Actor& a, const ExceptionRequest& r, Instant now,
                                         const ProcessSettings& settings) {
  std::vector<std::string> out;
  auto ok = [&](Action action) { return next_status(r.status, action).has_value(); };
  const bool requester = is_requester(a, r);
  if (requester && ok(Action::edit)) out.emplace_back("edit");
  if (requester && ok(Action::submit)) out.emplace_back("submit");
  if (requester && ok(Action::withdraw)) out.emplace_back("withdraw");
  if (!r.slot_filled_by(a.email)) {
    for (const auto& s : r.approvals) {
      if (s.status != SlotStatus::pending || s.stage != r.status || !contains(s.eligible, a.email)) continue;
      if (s.slot == "owner" && !r.all_required_approved_except_owner()) {
        out.push_back("decide:owner");  // reject or request changes only, until the rest approve
        continue;
      }
      out.push_back("decide:" + s.slot);
    }
  }
  if ((is_owner(a, r) || a.has(Role::security_compliance)) && ok(Action::invite)) out.emplace_back("invite");
  if (can_see(a, r) && comment(r, a, "-")) out.emplace_back("comment");
  if ((requester || heads_department(a, r)) && ok(Action::appeal) && r.denied_at &&
      now <= Instant{r.denied_at->seconds + settings.appeal_window_days * 86400LL})
    out.emplace_back("appeal");
  if (a.has(Role::legal) && !requester && ok(Action::legal_opinion)) out.emplace_back("legal_opinion");
  if (r.status == Status::appeal_executive) {
    // Offered only when the role this person would record under is still open (dispose
    // refuses a second disposition of the same role with 409).
    auto role = executive_role(r, a, std::nullopt);
    if (role && std::none_of(r.appeal.dispositions.begin(), r.appeal.dispositions.end(),
                             [&](const ExecutiveDisposition& d) { return d.role == *role; }))
      out.emplace_back("disposition");
  }
  if (requester && ok(Action::extend)) out.emplace_back("extend");
  if ((is_owner(a, r) || a.has(Role::security_compliance)) && ok(Action::review)) out.emplace_back("review");
  if ((requester || is_owner(a, r)) && ok(Action::close)) out.emplace_back("close");
  if ((is_owner(a, r) || a.has(Role::security_compliance)) && ok(Action::revoke)) out.emplace_back("revoke");
  return out;
}

Result<void> edit(ExceptionRequest& r, const Actor& actor, const RequestContent& content) {
  if (!is_requester(actor, r)) return refuse(Refusal::forbidden("only the requester edits a request"));
  if (auto ok = allowed_in_state(r, Action::edit); !ok) return ok;
  if (auto errors = validate_draft(content); !errors.empty())
    return refuse(Refusal::invalid("the request is invalid", errors));
  r.content = content;
  return move(r, Action::edit);
}

Result<void> submit(ExceptionRequest& r, const Actor& actor, std::vector<ApprovalSlot> approvals,
                    int max_days, std::int64_t matrix_version, Instant now) {
  if (!is_requester(actor, r)) return refuse(Refusal::forbidden("only the requester submits a request"));
  if (auto ok = allowed_in_state(r, Action::submit); !ok) return ok;
  if (auto errors = validate_for_submit(r.content, max_days); !errors.empty())
    return refuse(Refusal::invalid("the request is not complete", errors));
  r.approvals = std::move(approvals);
  r.max_days = max_days;
  r.matrix_version = matrix_version;
  r.submitted_at = now;
  r.implications.reset();
  r.frameworks.clear();
  return move(r, Action::submit);
}

Result<void> decide(ExceptionRequest& r, const Actor& actor, const std::string& name, const SlotDecision& d,
                    Instant now) {
  ApprovalSlot* slot = r.find_slot(name);
  if (!slot) return refuse(Refusal::not_found("this request has no approval slot '" + name + "'"));
  if (is_requester(actor, r)) return refuse(Refusal::forbidden("nobody approves their own request"));
  if (!contains(slot->eligible, actor.email))
    return refuse(Refusal::forbidden("you are not eligible for the '" + name + "' slot"));
  if (const auto* other = r.slot_filled_by(actor.email); other && other->slot != name)
    return refuse(Refusal::forbidden("you already filled the '" + other->slot +
                                     "' slot; one person fills one slot of a request"));
  if (r.status != slot->stage)
    return refuse(Refusal::conflict("the '" + name + "' slot is filled in " +
                                    std::string(to_string(slot->stage)) + ", and the request is " +
                                    std::string(to_string(r.status))));
  if (slot->status != SlotStatus::pending)
    return refuse(Refusal::conflict("the '" + name + "' slot is already filled"));

  FieldErrors errors;
  check_text(errors, "comment", d.comment, kMaxText);
  Action action = Action::reject;
  if (d.decision == Decision::request_changes) action = Action::request_changes;
  if (d.decision == Decision::approve) {
    if (name == "department")
      action = Action::approve_first;
    else if (name == "owner")
      action = Action::approve_owner;
    else
      action = Action::approve_slot;
  }
  if (action == Action::approve_owner && !r.all_required_approved_except_owner())
    return refuse(Refusal::conflict("the owner approves only once every other required slot is approved"));
  if (auto ok = allowed_in_state(r, action); !ok) return ok;

  if (name == "compliance" && d.decision == Decision::approve) {
    if (!d.implications)
      errors.push_back({"implications", "is required: none, current or planned"});
    else if (*d.implications != Implications::none && d.frameworks.empty())
      errors.push_back({"frameworks", "name the frameworks with current or planned implications"});
    for (std::size_t i = 0; i < d.frameworks.size(); ++i)
      check_text(errors, "frameworks." + std::to_string(i), d.frameworks[i], kMaxShort);
  }
  if (action == Action::approve_owner) {
    if (!d.risk_level) errors.push_back({"risk_level", "is required: low, medium, high or critical"});
    auto controls = validate_controls(d.compensating_controls.value_or(std::vector<CompensatingControl>{}),
                                      "compensating_controls", true);
    errors.insert(errors.end(), controls.begin(), controls.end());
    if (!d.end_on) {
      errors.push_back({"end_on", "is required"});
    } else if (r.content.start_on) {
      if (*d.end_on < *r.content.start_on)
        errors.push_back({"end_on", "is before start_on"});
      else if (days_between(*r.content.start_on, *d.end_on) > r.max_days)
        errors.push_back({"end_on", "is more than " + std::to_string(r.max_days) +
                                        " days after start_on (the matrix's maximum)"});
    }
    if (d.risk_level && (*d.risk_level == RiskLevel::high || *d.risk_level == RiskLevel::critical) &&
        d.action_plan.find_first_not_of(" \t\r\n") == std::string::npos)
      errors.push_back({"action_plan", "is required when the risk is high or critical"});
    check_text(errors, "action_plan", d.action_plan, kMaxText);
  }
  if (!errors.empty()) return refuse(Refusal::invalid("the decision is invalid", errors));

  slot->status = d.decision == Decision::approve  ? SlotStatus::approved
                 : d.decision == Decision::reject ? SlotStatus::rejected
                                                  : SlotStatus::changes_requested;
  slot->by = actor.email;
  slot->at = now;
  slot->comment = d.comment;
  if (name == "compliance" && d.decision == Decision::approve) {
    r.implications = d.implications;
    r.frameworks = d.frameworks;
  }
  if (action == Action::approve_owner) {
    r.risk_level = d.risk_level;
    r.content.compensating_controls = *d.compensating_controls;
    r.action_plan = d.action_plan;
    r.decision_end_on = d.end_on;
    r.decided_at = now;
  }
  if (name == "owner" && d.decision == Decision::reject) r.risk_level = d.risk_level;
  if (action == Action::reject) {
    r.denied_at = now;
    r.decided_at = now;
  }
  return move(r, action);
}

Result<void> withdraw(ExceptionRequest& r, const Actor& actor, const std::string& reason) {
  if (!is_requester(actor, r)) return refuse(Refusal::forbidden("only the requester withdraws a request"));
  if (auto ok = allowed_in_state(r, Action::withdraw); !ok) return ok;
  if (auto ok = optional_text("reason", reason, kMaxText); !ok) return ok;
  r.closed_reason = reason;
  return move(r, Action::withdraw);
}

Result<void> appeal(ExceptionRequest& r, const Actor& actor, const std::string& reason, Instant now,
                    const ProcessSettings& settings) {
  if (!is_requester(actor, r) && !heads_department(actor, r))
    return refuse(Refusal::forbidden("only the requester or their department head appeals"));
  if (auto ok = allowed_in_state(r, Action::appeal); !ok) return ok;
  if (!r.denied_at || now > Instant{r.denied_at->seconds + settings.appeal_window_days * 86400LL})
    return refuse(Refusal::conflict("the appeal window of " + std::to_string(settings.appeal_window_days) +
                                    " days after the denial has closed"));
  if (auto ok = required_text("reason", reason, kMaxText); !ok) return ok;
  r.appeal = Appeal{};
  r.appeal.reason = reason;
  r.appeal.by = actor.email;
  r.appeal.at = now;
  return move(r, Action::appeal);
}

Result<void> legal_opinion(ExceptionRequest& r, const Actor& actor, const std::string& opinion, Instant now) {
  if (!actor.has(Role::legal)) return refuse(Refusal::forbidden("only Legal writes the opinion"));
  if (is_requester(actor, r)) return refuse(Refusal::forbidden("nobody decides their own appeal"));
  if (auto ok = allowed_in_state(r, Action::legal_opinion); !ok) return ok;
  if (auto ok = required_text("opinion", opinion, kMaxText); !ok) return ok;
  r.appeal.legal_opinion = opinion;
  r.appeal.legal_by = actor.email;
  r.appeal.legal_at = now;
  return move(r, Action::legal_opinion);
}

Result<void> dispose(ExceptionRequest& r, const Actor& actor, Disposition decision,
                     const std::string& comment, std::optional<Role> as, Instant now) {
  auto role = executive_role(r, actor, as);
  if (!role) return refuse(role.error());
  if (auto ok = allowed_in_state(r, Action::dispose); !ok) return ok;
  for (const auto& d : r.appeal.dispositions)
    if (d.role == *role)
      return refuse(
          Refusal::conflict("the " + std::string(to_string(*role)) + "'s disposition is already recorded"));
  if (auto ok = optional_text("comment", comment, kMaxText); !ok) return ok;
  r.appeal.dispositions.push_back({*role, actor.email, decision, comment, now});
  if (r.appeal.dispositions.size() < 2) return move(r, Action::dispose);
  const bool granted = std::all_of(r.appeal.dispositions.begin(), r.appeal.dispositions.end(),
                                   [](const auto& d) { return d.decision == Disposition::grant; });
  r.decided_at = now;
  if (!granted) return move(r, Action::dispose_upheld);
  // Granted: active with the requested end date within the maximum and the request's controls.
  if (r.content.start_on && r.content.end_on)
    r.decision_end_on = std::min(*r.content.end_on, add_days(*r.content.start_on, r.max_days));
  return move(r, Action::dispose_granted);
}

Result<void> invite(ExceptionRequest& r, const Actor& actor, const User& invitee, const std::string& note,
                    Instant now) {
  if (!is_owner(actor, r) && !actor.has(Role::security_compliance))
    return refuse(Refusal::forbidden("only the policy owner or security compliance invites experts"));
  if (auto ok = allowed_in_state(r, Action::invite); !ok) return ok;
  if (auto ok = optional_text("note", note, kMaxText); !ok) return ok;
  if (invitee.email == r.requester)
    return refuse(Refusal::invalid("email", "the requester cannot be invited as an expert"));
  if (r.is_invited(invitee.email)) return refuse(Refusal::conflict(invitee.email + " is already invited"));
  r.invitations.push_back({invitee.email, note, actor.email, now});
  return {};
}

Result<void> comment(const ExceptionRequest& r, const Actor& actor, const std::string& body) {
  const bool only_auditor = !is_participant(actor, r) && actor.has(Role::auditor) &&
                            !actor.has(Role::security_compliance) && !actor.has(Role::legal) &&
                            !actor.has(Role::ceo) && !actor.has(Role::cfo) && !actor.has(Role::admin);
  if (only_auditor) return refuse(Refusal::forbidden("auditors read; they do not comment"));
  if (auto ok = allowed_in_state(r, Action::comment); !ok) return ok;
  return required_text("body", body, kMaxText);
}

Result<void> review(const ExceptionRequest& r, const Actor& actor, const std::string& notes) {
  if (!is_owner(actor, r) && !actor.has(Role::security_compliance))
    return refuse(Refusal::forbidden("only the policy owner or security compliance reviews"));
  if (auto ok = allowed_in_state(r, Action::review); !ok) return ok;
  return required_text("notes", notes, kMaxText);
}

Result<void> close(ExceptionRequest& r, const Actor& actor, const std::string& reason) {
  if (!is_requester(actor, r) && !is_owner(actor, r))
    return refuse(Refusal::forbidden("only the requester or the policy owner closes an exception"));
  if (auto ok = allowed_in_state(r, Action::close); !ok) return ok;
  if (auto ok = required_text("reason", reason, kMaxText); !ok) return ok;
  r.closed_reason = reason;
  return move(r, Action::close);
}

Result<void> revoke(ExceptionRequest& r, const Actor& actor, const std::string& reason) {
  if (!is_owner(actor, r) && !actor.has(Role::security_compliance))
    return refuse(Refusal::forbidden("only the policy owner or security compliance revokes"));
  if (auto ok = allowed_in_state(r, Action::revoke); !ok) return ok;
  if (auto ok = required_text("reason", reason, kMaxText); !ok) return ok;
  r.closed_reason = reason;
  return move(r, Action::revoke);
}

Result<void> may_extend(const ExtensionLine& line) {
  if (line.one_in_progress)
    return refuse(Refusal::conflict("an extension of this exception is already under way"));
  if (line.depth >= line.max_extensions)
    return refuse(Refusal::conflict("this exception was extended " + std::to_string(line.depth) +
                                    " times already, the most allowed; ask for a new exception"));
  return {};
}

Result<ExceptionRequest> extension_of(const ExceptionRequest& parent, const Actor& actor,
                                      std::optional<Date> end_on, const std::string& justification,
                                      Instant now, const ExtensionLine& line) {
  if (!is_requester(actor, parent))
    return refuse(Refusal::forbidden("only the requester asks for an extension"));
  if (auto ok = allowed_in_state(parent, Action::extend); !ok) return refuse(ok.error());
  if (auto ok = may_extend(line); !ok) return refuse(ok.error());
  const Date start = parent.decision_end_on.value_or(parent.content.end_on.value_or(date_of(now)));
  FieldErrors errors;
  if (!end_on)
    errors.push_back({"end_on", "is required"});
  else if (*end_on <= start)
    errors.push_back({"end_on", "must be after the parent's end date " + format_date(start)});
  if (justification.find_first_not_of(" \t\r\n") == std::string::npos)
    errors.push_back({"justification", "is required"});
  check_text(errors, "justification", justification, kMaxText);
  if (!errors.empty()) return refuse(Refusal::invalid("the extension is invalid", errors));

  ExceptionRequest ext;
  ext.status = Status::draft;
  ext.requester = parent.requester;
  ext.requester_name = parent.requester_name;
  ext.department = parent.department;
  ext.content = parent.content;
  ext.content.start_on = start;
  ext.content.end_on = end_on;
  ext.content.justification = justification;
  ext.parent_id = parent.id;
  ext.created_at = now;
  ext.updated_at = now;
  return ext;
}

bool is_past_end(const ExceptionRequest& r, Instant now) {
  // Valid through its end date: expires at the start of the next day (UTC).
  return r.status == Status::active && r.decision_end_on && date_of(now) > *r.decision_end_on;
}

Result<void> expire(ExceptionRequest& r, Instant now) {
  if (!is_past_end(r, now)) return refuse(Refusal::conflict("the exception has not reached its end"));
  return move(r, Action::expire);
}

Result<void> supersede(ExceptionRequest& parent) { return move(parent, Action::supersede); }

}  // namespace waiver::domain
