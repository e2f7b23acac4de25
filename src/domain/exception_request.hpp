// The exception request: what the requester asks, the approvals section, and what was decided.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "domain/vocabulary.hpp"

namespace waiver::domain {

using Id = std::int64_t;

struct CompensatingControl {
  std::string description;
  std::string owner;
  ControlStatus status = ControlStatus::planned;
  std::string evidence_url;
  bool operator==(const CompensatingControl&) const = default;
};

// One line of the approvals section.
struct ApprovalSlot {
  std::string slot;
  Status stage = Status::policy_review;  // the state in which it can be filled
  bool required = true;
  SlotStatus status = SlotStatus::pending;
  std::vector<std::string> eligible;  // emails
  std::string by;                     // email of who filled it, empty while pending
  std::optional<Instant> at;
  std::string comment;
  bool operator==(const ApprovalSlot&) const = default;
};

struct ExecutiveDisposition {
  Role role = Role::ceo;
  std::string by;
  Disposition decision = Disposition::grant;
  std::string comment;
  Instant at;
  bool operator==(const ExecutiveDisposition&) const = default;
};

struct Appeal {
  std::string reason;
  std::string by;
  std::optional<Instant> at;
  std::string legal_opinion;
  std::string legal_by;
  std::optional<Instant> legal_at;
  std::vector<ExecutiveDisposition> dispositions;
  bool operator==(const Appeal&) const = default;
};

struct Invitation {
  std::string email;
  std::string note;
  std::string by;
  Instant at;
  bool operator==(const Invitation&) const = default;
};

// A comment or an expert's input; also used for review notes.
struct Note {
  std::string by;
  std::string body;
  Instant at;
  bool operator==(const Note&) const = default;
};

// The fields a requester writes.
struct RequestContent {
  std::string title;
  std::string policy_id;
  std::string requirement;
  std::optional<ExceptionType> type;
  std::optional<DataClassification> data_classification;
  std::string description;
  std::string alternative;
  std::string justification;
  std::string resources;
  std::string scope;
  std::optional<int> likelihood;
  std::optional<int> impact;
  std::vector<CompensatingControl> compensating_controls;
  std::optional<Date> start_on;
  std::optional<Date> end_on;
  std::vector<std::string> links;
  bool operator==(const RequestContent&) const = default;
};

struct ExceptionRequest {
  Id id = 0;
  std::string ref;  // EXC-YYYY-NNNN
  Status status = Status::draft;
  std::string requester;  // email
  std::string requester_name;
  std::string department;  // the requester's department when created

  RequestContent content;

  // Set by submit, from the matrix.
  int max_days = 0;
  std::int64_t matrix_version = 0;
  std::vector<ApprovalSlot> approvals;

  // The compliance assessment.
  std::optional<Implications> implications;
  std::vector<std::string> frameworks;

  // The owner's decision.
  std::optional<RiskLevel> risk_level;
  std::optional<Date> decision_end_on;
  std::string action_plan;

  Appeal appeal;
  std::vector<Invitation> invitations;
  std::string closed_reason;  // close, revoke or withdraw reason

  std::optional<Id> parent_id;
  std::vector<Id> extension_ids;

  std::int64_t version = 1;
  Instant created_at;
  Instant updated_at;
  std::optional<Instant> submitted_at;
  std::optional<Instant> decided_at;
  std::optional<Instant> denied_at;

  ApprovalSlot* find_slot(const std::string& name);
  const ApprovalSlot* find_slot(const std::string& name) const;
  // The slot this person filled, if any.
  const ApprovalSlot* slot_filled_by(const std::string& email) const;
  bool all_required_approved_except_owner() const;
  bool is_invited(const std::string& email) const;
};

}  // namespace waiver::domain
