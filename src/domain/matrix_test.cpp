#include "domain/matrix.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace waiver::domain {
namespace {

MatrixSubject subject(std::optional<ExceptionType> type = ExceptionType::technology,
                      std::string policy = "access-control",
                      std::optional<DataClassification> dc = DataClassification::GREEN,
                      std::optional<PolicyKind> kind = PolicyKind::policy) {
  return {type, std::move(policy), dc, kind};
}

MatrixRule set_days(MatrixCondition when, int days) {
  MatrixRule r;
  r.when = std::move(when);
  r.max_days = days;
  return r;
}

RequiredSlot by_role(std::string name, Role role) { return {std::move(name), role, ""}; }
RequiredSlot by_user(std::string name, std::string email) {
  return {std::move(name), std::nullopt, std::move(email)};
}

bool has_field(const std::vector<FieldError>& errors, const std::string& field) {
  return std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) { return e.field == field; });
}

TEST(Matrix, DefaultsWithoutRules) {
  const Matrix m;
  EXPECT_EQ(m.first_approval, FirstApproval::department_head);
  EXPECT_EQ(m.max_days, 90);
  auto out = evaluate(m, subject());
  EXPECT_EQ(out.first_approval, FirstApproval::department_head);
  EXPECT_EQ(out.max_days, 90);
  EXPECT_TRUE(out.require.empty());
  EXPECT_TRUE(validate(m).empty());
}

TEST(Matrix, DefaultsAreTakenFromTheMatrix) {
  Matrix m;
  m.first_approval = FirstApproval::maintainers;
  m.max_days = 30;
  auto out = evaluate(m, subject());
  EXPECT_EQ(out.first_approval, FirstApproval::maintainers);
  EXPECT_EQ(out.max_days, 30);
}

TEST(Matrix, RuleWithEmptyConditionMatchesEverything) {
  Matrix m;
  m.rules.push_back(set_days({}, 10));
  EXPECT_EQ(evaluate(m, subject()).max_days, 10);
  EXPECT_EQ(evaluate(m, MatrixSubject{}).max_days, 10);
}

TEST(Matrix, MatchesOnTypeSingleValue) {
  Matrix m;
  m.rules.push_back(set_days({.type = {ExceptionType::device}}, 365));
  EXPECT_EQ(evaluate(m, subject(ExceptionType::device)).max_days, 365);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::access)).max_days, 90);
}

TEST(Matrix, MatchesOnTypeList) {
  Matrix m;
  MatrixRule r;
  r.when.type = {ExceptionType::technology, ExceptionType::configuration};
  r.first_approval = FirstApproval::maintainers;
  m.rules.push_back(r);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::technology)).first_approval, FirstApproval::maintainers);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::configuration)).first_approval, FirstApproval::maintainers);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::process)).first_approval, FirstApproval::department_head);
}

TEST(Matrix, MatchesOnPolicy) {
  Matrix m;
  m.rules.push_back(set_days({.policy = {"crypto", "backup"}}, 20));
  EXPECT_EQ(evaluate(m, subject(ExceptionType::access, "crypto")).max_days, 20);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::access, "backup")).max_days, 20);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::access, "access-control")).max_days, 90);
}

TEST(Matrix, MatchesOnDataClassification) {
  Matrix m;
  MatrixRule r;
  r.when.data_classification = {DataClassification::RED};
  r.require = {by_role("legal", Role::legal), by_user("data_owner", "dpo@example.com")};
  m.rules.push_back(r);
  auto red = evaluate(m, subject(ExceptionType::access, "p", DataClassification::RED));
  ASSERT_EQ(red.require.size(), 2u);
  EXPECT_EQ(red.require[0], by_role("legal", Role::legal));
  EXPECT_EQ(red.require[1], by_user("data_owner", "dpo@example.com"));
  EXPECT_TRUE(evaluate(m, subject(ExceptionType::access, "p", DataClassification::ORANGE)).require.empty());
}

TEST(Matrix, MatchesOnKind) {
  Matrix m;
  m.rules.push_back(set_days({.kind = {PolicyKind::standard, PolicyKind::procedure}}, 15));
  EXPECT_EQ(evaluate(m, subject(ExceptionType::access, "p", DataClassification::RED, PolicyKind::procedure))
                .max_days,
            15);
  EXPECT_EQ(
      evaluate(m, subject(ExceptionType::access, "p", DataClassification::RED, PolicyKind::policy)).max_days,
      90);
}

TEST(Matrix, AllConditionsOfARuleMustMatch) {
  Matrix m;
  m.rules.push_back(
      set_days({.type = {ExceptionType::device}, .data_classification = {DataClassification::RED}}, 7));
  EXPECT_EQ(evaluate(m, subject(ExceptionType::device, "p", DataClassification::RED)).max_days, 7);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::device, "p", DataClassification::GREEN)).max_days, 90);
  EXPECT_EQ(evaluate(m, subject(ExceptionType::access, "p", DataClassification::RED)).max_days, 90);
}

TEST(Matrix, LaterRulesOverrideMaxDaysAndFirstApproval) {
  Matrix m;
  MatrixRule first;
  first.when.type = {ExceptionType::device};
  first.max_days = 365;
  first.first_approval = FirstApproval::maintainers;
  MatrixRule second;
  second.when.data_classification = {DataClassification::RED};
  second.max_days = 30;
  second.first_approval = FirstApproval::department_head;
  m.rules = {first, second};

  auto both = evaluate(m, subject(ExceptionType::device, "p", DataClassification::RED));
  EXPECT_EQ(both.max_days, 30);
  EXPECT_EQ(both.first_approval, FirstApproval::department_head);
  auto only_first = evaluate(m, subject(ExceptionType::device, "p", DataClassification::GREEN));
  EXPECT_EQ(only_first.max_days, 365);
  EXPECT_EQ(only_first.first_approval, FirstApproval::maintainers);

  // Order matters: the same rules the other way round.
  m.rules = {second, first};
  auto swapped = evaluate(m, subject(ExceptionType::device, "p", DataClassification::RED));
  EXPECT_EQ(swapped.max_days, 365);
  EXPECT_EQ(swapped.first_approval, FirstApproval::maintainers);
}

TEST(Matrix, ARuleThatSetsNothingLeavesEarlierValues) {
  Matrix m;
  m.rules.push_back(set_days({}, 40));
  MatrixRule silent;
  silent.require = {by_role("legal", Role::legal)};
  m.rules.push_back(silent);
  auto out = evaluate(m, subject());
  EXPECT_EQ(out.max_days, 40);
  EXPECT_EQ(out.first_approval, FirstApproval::department_head);
  EXPECT_EQ(out.require.size(), 1u);
}

TEST(Matrix, RequireAddsSlotsAndASameNamedLaterSlotReplacesIt) {
  Matrix m;
  MatrixRule a;
  a.require = {by_role("legal", Role::legal), by_role("finance", Role::cfo)};
  MatrixRule b;
  b.when.type = {ExceptionType::device};
  b.require = {by_user("legal", "counsel@example.com"), by_user("it", "it@example.com")};
  m.rules = {a, b};

  auto device = evaluate(m, subject(ExceptionType::device));
  ASSERT_EQ(device.require.size(), 3u);
  EXPECT_EQ(device.require[0], by_user("legal", "counsel@example.com"));  // replaced in place
  EXPECT_EQ(device.require[1], by_role("finance", Role::cfo));
  EXPECT_EQ(device.require[2], by_user("it", "it@example.com"));

  auto other = evaluate(m, subject(ExceptionType::access));
  ASSERT_EQ(other.require.size(), 2u);
  EXPECT_EQ(other.require[0], by_role("legal", Role::legal));
  EXPECT_EQ(other.require[1], by_role("finance", Role::cfo));
}

TEST(Matrix, NonMatchingRulesAreIgnored) {
  Matrix m;
  MatrixRule r;
  r.when.policy = {"other-policy"};
  r.max_days = 5;
  r.first_approval = FirstApproval::maintainers;
  r.require = {by_role("legal", Role::legal)};
  m.rules.push_back(r);
  auto out = evaluate(m, subject());
  EXPECT_EQ(out.max_days, 90);
  EXPECT_EQ(out.first_approval, FirstApproval::department_head);
  EXPECT_TRUE(out.require.empty());
}

TEST(Matrix, AConditionOnAFieldTheSubjectLacksDoesNotMatch) {
  Matrix m;
  m.rules.push_back(set_days({.type = {ExceptionType::device}}, 1));
  m.rules.push_back(set_days({.policy = {"p"}}, 2));
  m.rules.push_back(set_days({.data_classification = {DataClassification::RED}}, 3));
  m.rules.push_back(set_days({.kind = {PolicyKind::policy}}, 4));
  EXPECT_EQ(evaluate(m, MatrixSubject{}).max_days, 90);
  // Each rule alone does match when the field is present.
  EXPECT_EQ(evaluate(m, MatrixSubject{.type = ExceptionType::device}).max_days, 1);
  EXPECT_EQ(evaluate(m, MatrixSubject{.policy = "p"}).max_days, 2);
  EXPECT_EQ(evaluate(m, MatrixSubject{.data_classification = DataClassification::RED}).max_days, 3);
  EXPECT_EQ(evaluate(m, MatrixSubject{.kind = PolicyKind::policy}).max_days, 4);
}

TEST(Matrix, ValidateAcceptsAWellFormedMatrix) {
  Matrix m;
  m.max_days = 3650;
  MatrixRule r;
  r.max_days = 1;
  r.require = {by_role("legal", Role::legal), by_user("data_owner2", "dpo@example.com")};
  m.rules.push_back(r);
  EXPECT_TRUE(validate(m).empty());
}

TEST(Matrix, ValidateRefusesReservedSlotNames) {
  for (const char* name : {"department", "compliance", "owner"}) {
    EXPECT_TRUE(is_reserved_slot(name));
    Matrix m;
    MatrixRule r;
    r.require = {by_role(name, Role::legal)};
    m.rules.push_back(r);
    auto errors = validate(m);
    ASSERT_EQ(errors.size(), 1u) << name;
    EXPECT_EQ(errors[0].field, "matrix.rules.0.require.0.slot");
    EXPECT_NE(errors[0].message.find("reserved"), std::string::npos);
  }
  EXPECT_FALSE(is_reserved_slot("legal"));
}

TEST(Matrix, ValidateRefusesBadSlotNames) {
  for (const std::string& name :
       {std::string(), std::string("Legal"), std::string("1legal"), std::string("_legal"),
        std::string("data-owner"), std::string("data owner"), std::string("légal"), std::string(41, 'a')}) {
    Matrix m;
    MatrixRule r;
    r.require = {by_role("ok", Role::legal), by_role(name, Role::legal)};
    m.rules.push_back(r);
    auto errors = validate(m);
    ASSERT_EQ(errors.size(), 1u) << name;
    EXPECT_EQ(errors[0].field, "matrix.rules.0.require.1.slot") << name;
  }
  Matrix longest;  // 40 characters is the limit
  longest.rules.push_back(MatrixRule{.require = {by_role(std::string(40, 'a'), Role::legal)}});
  EXPECT_TRUE(validate(longest).empty());
}

TEST(Matrix, ValidateNeedsExactlyOneOfRoleAndUser) {
  Matrix m;
  MatrixRule r;
  r.require = {RequiredSlot{"both", Role::legal, "x@example.com"}, RequiredSlot{"neither", std::nullopt, ""},
               by_user("fine", "y@example.com")};
  m.rules.push_back(set_days({}, 10));
  m.rules.push_back(r);
  auto errors = validate(m);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "matrix.rules.1.require.0");
  EXPECT_EQ(errors[1].field, "matrix.rules.1.require.1");
}

TEST(Matrix, ValidateRefusesMaxDaysOutOfRange) {
  for (int bad : {0, -1, 3651}) {
    Matrix m;
    m.max_days = bad;
    EXPECT_TRUE(has_field(validate(m), "matrix.default.max_days")) << bad;
    Matrix r;
    r.rules.push_back(set_days({}, 30));
    r.rules.push_back(set_days({}, bad));
    auto errors = validate(r);
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors[0].field, "matrix.rules.1.set.max_days");
  }
  for (int good : {1, 90, 3650}) {
    Matrix m;
    m.max_days = good;
    m.rules.push_back(set_days({}, good));
    EXPECT_TRUE(validate(m).empty()) << good;
  }
}

}  // namespace
}  // namespace waiver::domain
