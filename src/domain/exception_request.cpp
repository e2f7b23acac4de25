#include "domain/exception_request.hpp"

#include <algorithm>

namespace waiver::domain {

ApprovalSlot* ExceptionRequest::find_slot(const std::string& name) {
  auto it =
      std::find_if(approvals.begin(), approvals.end(), [&](const ApprovalSlot& s) { return s.slot == name; });
  return it == approvals.end() ? nullptr : &*it;
}

const ApprovalSlot* ExceptionRequest::find_slot(const std::string& name) const {
  return const_cast<ExceptionRequest*>(this)->find_slot(name);
}

const ApprovalSlot* ExceptionRequest::slot_filled_by(const std::string& email) const {
  auto it = std::find_if(approvals.begin(), approvals.end(), [&](const ApprovalSlot& s) {
    return s.status != SlotStatus::pending && s.by == email;
  });
  return it == approvals.end() ? nullptr : &*it;
}

bool ExceptionRequest::all_required_approved_except_owner() const {
  return std::all_of(approvals.begin(), approvals.end(), [](const ApprovalSlot& s) {
    return s.slot == "owner" || !s.required || s.status == SlotStatus::approved;
  });
}

bool ExceptionRequest::is_invited(const std::string& email) const {
  return std::any_of(invitations.begin(), invitations.end(),
                     [&](const Invitation& i) { return i.email == email; });
}

}  // namespace waiver::domain
