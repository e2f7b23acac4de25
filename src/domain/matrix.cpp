#include "domain/matrix.hpp"

#include <algorithm>
#include <regex>

namespace waiver::domain {
namespace {

template <typename T, typename V>
bool matches(const std::vector<T>& accepted, const std::optional<V>& value) {
  if (accepted.empty()) return true;
  return value && std::find(accepted.begin(), accepted.end(), *value) != accepted.end();
}

bool matches(const MatrixCondition& when, const MatrixSubject& s) {
  const std::optional<std::string> policy =
      s.policy.empty() ? std::nullopt : std::optional<std::string>(s.policy);
  return matches(when.type, s.type) && matches(when.policy, policy) &&
         matches(when.data_classification, s.data_classification) && matches(when.kind, s.kind);
}

}  // namespace

MatrixOutcome evaluate(const Matrix& matrix, const MatrixSubject& subject) {
  MatrixOutcome out{matrix.first_approval, matrix.max_days, {}};
  for (const auto& rule : matrix.rules) {
    if (!matches(rule.when, subject)) continue;
    if (rule.first_approval) out.first_approval = *rule.first_approval;
    if (rule.max_days) out.max_days = *rule.max_days;
    for (const auto& slot : rule.require) {
      auto same = std::find_if(out.require.begin(), out.require.end(),
                               [&](const RequiredSlot& s) { return s.slot == slot.slot; });
      if (same != out.require.end())
        *same = slot;
      else
        out.require.push_back(slot);
    }
  }
  return out;
}

std::vector<FieldError> validate(const Matrix& matrix) {
  std::vector<FieldError> errors;
  static const std::regex kSlotName("^[a-z][a-z0-9_]{0,39}$");
  if (matrix.max_days < 1 || matrix.max_days > 3650)
    errors.push_back({"matrix.default.max_days", "must be between 1 and 3650"});
  for (std::size_t i = 0; i < matrix.rules.size(); ++i) {
    const auto& rule = matrix.rules[i];
    const std::string at = "matrix.rules." + std::to_string(i);
    if (rule.max_days && (*rule.max_days < 1 || *rule.max_days > 3650))
      errors.push_back({at + ".set.max_days", "must be between 1 and 3650"});
    for (std::size_t j = 0; j < rule.require.size(); ++j) {
      const auto& slot = rule.require[j];
      const std::string sat = at + ".require." + std::to_string(j);
      if (!std::regex_match(slot.slot, kSlotName))
        errors.push_back({sat + ".slot", "must be lower case letters, digits and _"});
      else if (is_reserved_slot(slot.slot))
        errors.push_back({sat + ".slot", "'" + slot.slot + "' is reserved"});
      if (slot.role.has_value() == !slot.user.empty())
        errors.push_back({sat, "needs exactly one of role or user"});
    }
  }
  return errors;
}

}  // namespace waiver::domain
