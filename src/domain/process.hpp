// The rules of the process: who may do what to a request, when, and with what content.
// Each function checks who (forbidden), then the state (conflict, from the transition table),
// then the content (invalid), and changes the request only when all pass.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "domain/errors.hpp"
#include "domain/exception_request.hpp"
#include "domain/organisation.hpp"

namespace waiver::domain {

struct ProcessSettings {
  int appeal_window_days = 30;
};

// Visibility: see docs/api.md.
bool can_see(const Actor& actor, const ExceptionRequest& r);

// What the caller may do now: edit, submit, withdraw, decide:<slot>, invite, comment, appeal,
// legal_opinion, disposition, extend, review, close, revoke.
std::vector<std::string> allowed_actions(const Actor& actor, const ExceptionRequest& r, Instant now,
                                         const ProcessSettings& settings);

Result<void> edit(ExceptionRequest& r, const Actor& actor, const RequestContent& content);

// `approvals` and `max_days` come from the matrix (compute_approvals).
Result<void> submit(ExceptionRequest& r, const Actor& actor, std::vector<ApprovalSlot> approvals,
                    int max_days, std::int64_t matrix_version, Instant now);

struct SlotDecision {
  Decision decision = Decision::approve;
  std::string comment;
  // compliance
  std::optional<Implications> implications;
  std::vector<std::string> frameworks;
  // owner
  std::optional<RiskLevel> risk_level;
  std::optional<std::vector<CompensatingControl>> compensating_controls;
  std::string action_plan;
  std::optional<Date> end_on;
};

Result<void> decide(ExceptionRequest& r, const Actor& actor, const std::string& slot, const SlotDecision& d,
                    Instant now);

Result<void> withdraw(ExceptionRequest& r, const Actor& actor, const std::string& reason);
Result<void> appeal(ExceptionRequest& r, const Actor& actor, const std::string& reason, Instant now,
                    const ProcessSettings& settings);
Result<void> legal_opinion(ExceptionRequest& r, const Actor& actor, const std::string& opinion, Instant now);
Result<void> dispose(ExceptionRequest& r, const Actor& actor, Disposition decision,
                     const std::string& comment, std::optional<Role> as, Instant now);
Result<void> invite(ExceptionRequest& r, const Actor& actor, const User& invitee, const std::string& note,
                    Instant now);
Result<void> comment(const ExceptionRequest& r, const Actor& actor, const std::string& body);
Result<void> review(const ExceptionRequest& r, const Actor& actor, const std::string& notes);
Result<void> close(ExceptionRequest& r, const Actor& actor, const std::string& reason);
Result<void> revoke(ExceptionRequest& r, const Actor& actor, const std::string& reason);

// What limits extensions: how many times the parent's line was extended already (0 for an
// original request), the configured maximum, and whether another extension of the same parent
// is still under way (one at a time).
struct ExtensionLine {
  int depth = 0;
  int max_extensions = 3;
  bool one_in_progress = false;
};

// Refuses an extension while another of the same parent is under way, or once the line was
// extended `max_extensions` times. `extension_of` checks it; a view offers `extend` only if it passes.
Result<void> may_extend(const ExtensionLine& line);

// A new draft prefilled from an active parent, starting where the parent ends.
Result<ExceptionRequest> extension_of(const ExceptionRequest& parent, const Actor& actor,
                                      std::optional<Date> end_on, const std::string& justification,
                                      Instant now, const ExtensionLine& line = {});

// Jobs and consequences, done by the system.
bool is_past_end(const ExceptionRequest& r, Instant now);
Result<void> expire(ExceptionRequest& r, Instant now);
Result<void> supersede(ExceptionRequest& parent);

}  // namespace waiver::domain
