#include "domain/approvals.hpp"

#include <algorithm>
#include <functional>
#include <set>

namespace waiver::domain {
namespace {

std::vector<std::string> without(std::vector<std::string> people, const std::string& requester) {
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  people.erase(std::remove(people.begin(), people.end(), requester), people.end());
  return people;
}

// Whether distinct people can fill every slot: a bipartite matching by augmenting paths.
// Returns the index of a slot that cannot be filled, or -1.
int unfillable_slot(const std::vector<ApprovalSlot>& slots) {
  std::map<std::string, int> taken_by;  // person -> slot index
  for (int i = 0; i < static_cast<int>(slots.size()); ++i) {
    std::set<std::string> seen;
    std::function<bool(int)> assign = [&](int slot) {
      for (const auto& person : slots[static_cast<std::size_t>(slot)].eligible) {
        if (!seen.insert(person).second) continue;
        auto it = taken_by.find(person);
        if (it == taken_by.end() || assign(it->second)) {
          taken_by[person] = slot;
          return true;
        }
      }
      return false;
    };
    if (!assign(i)) return i;
  }
  return -1;
}

}  // namespace

Result<std::vector<ApprovalSlot>> compute_approvals(const MatrixOutcome& outcome,
                                                    const ApprovalContext& ctx) {
  std::vector<ApprovalSlot> slots;
  auto add = [&](std::string name, Status stage, std::vector<std::string> eligible) {
    ApprovalSlot s;
    s.slot = std::move(name);
    s.stage = stage;
    s.eligible = without(std::move(eligible), ctx.requester);
    slots.push_back(std::move(s));
  };
  auto role_members = [&](Role r) {
    auto it = ctx.members.find(r);
    return it == ctx.members.end() ? std::vector<std::string>{} : it->second;
  };

  const bool requester_heads = !ctx.department_head.empty() && ctx.department_head == ctx.requester;
  if (outcome.first_approval == FirstApproval::maintainers || requester_heads || ctx.department_head.empty())
    add("department", Status::department_review, ctx.policy.maintainers);
  else
    add("department", Status::department_review, {ctx.department_head});

  add("compliance", Status::policy_review, role_members(Role::security_compliance));
  for (const auto& required : outcome.require) {
    if (required.role) {
      add(required.slot, Status::policy_review, role_members(*required.role));
    } else {
      const bool known =
          std::find(ctx.known_users.begin(), ctx.known_users.end(), required.user) != ctx.known_users.end();
      add(required.slot, Status::policy_review,
          known ? std::vector<std::string>{required.user} : std::vector<std::string>{});
    }
  }
  add("owner", Status::policy_review,
      ctx.policy.owner.empty() ? std::vector<std::string>{} : std::vector<std::string>{ctx.policy.owner});

  FieldErrors errors;
  for (const auto& s : slots)
    if (s.eligible.empty())
      errors.push_back({"approvals." + s.slot, "nobody other than the requester can fill this slot"});
  if (!errors.empty())
    return refuse(Refusal::invalid("the request cannot be routed to its approvers", errors));
  if (int bad = unfillable_slot(slots); bad >= 0)
    return refuse(
        Refusal::invalid("the request cannot be routed to its approvers",
                         {{"approvals." + slots[static_cast<std::size_t>(bad)].slot,
                           "no distinct person is left to fill this slot (one person fills one slot)"}}));
  return slots;
}

}  // namespace waiver::domain
