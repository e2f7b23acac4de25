// The approval matrix: defaults plus ordered rules; later rules override earlier ones.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "domain/errors.hpp"
#include "domain/vocabulary.hpp"

namespace waiver::domain {

// An extra approval slot a rule requires: filled by anyone with `role`, or by the user `user`.
struct RequiredSlot {
  std::string slot;
  std::optional<Role> role;
  std::string user;  // email
  bool operator==(const RequiredSlot&) const = default;
};

struct MatrixCondition {
  std::vector<ExceptionType> type;
  std::vector<std::string> policy;
  std::vector<DataClassification> data_classification;
  std::vector<PolicyKind> kind;
};

struct MatrixRule {
  MatrixCondition when;
  std::optional<FirstApproval> first_approval;
  std::optional<int> max_days;
  std::vector<RequiredSlot> require;
};

struct Matrix {
  FirstApproval first_approval = FirstApproval::department_head;
  int max_days = 90;
  std::vector<MatrixRule> rules;
};

// What a request is matched on.
struct MatrixSubject {
  std::optional<ExceptionType> type;
  std::string policy;
  std::optional<DataClassification> data_classification;
  std::optional<PolicyKind> kind;
};

struct MatrixOutcome {
  FirstApproval first_approval = FirstApproval::department_head;
  int max_days = 90;
  std::vector<RequiredSlot> require;  // in rule order, later rules replace a slot of the same name
};

MatrixOutcome evaluate(const Matrix& matrix, const MatrixSubject& subject);

// Structural checks: positive max_days, slot names that are not reserved, each slot with
// exactly one of role / user.
std::vector<FieldError> validate(const Matrix& matrix);

// The reserved slot names.
inline bool is_reserved_slot(const std::string& name) {
  return name == "department" || name == "compliance" || name == "owner";
}

}  // namespace waiver::domain
