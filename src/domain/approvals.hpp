// Computing the approvals section of a request from the matrix and the organisation.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "domain/errors.hpp"
#include "domain/exception_request.hpp"
#include "domain/matrix.hpp"
#include "domain/organisation.hpp"

namespace waiver::domain {

// What the computation needs to know of the organisation.
struct ApprovalContext {
  std::string requester;        // email
  std::string department_head;  // of the requester's department; empty when none
  Policy policy;
  std::map<Role, std::vector<std::string>> members;  // emails holding each role
  std::vector<std::string> known_users;              // for `user:` slots
};

// The slots in order: department, compliance, the matrix's, owner. Refused (422) naming the
// slot when a slot has nobody eligible, or when distinct people cannot fill every slot.
Result<std::vector<ApprovalSlot>> compute_approvals(const MatrixOutcome& outcome, const ApprovalContext& ctx);

}  // namespace waiver::domain
