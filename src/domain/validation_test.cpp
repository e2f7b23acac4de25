#include "domain/validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace waiver::domain {
namespace {

Date day(const char* text) { return *parse_date(text); }

RequestContent complete() {
  RequestContent c;
  c.title = "Legacy VPN without MFA";
  c.policy_id = "access-control";
  c.requirement = "AC-7: multi-factor authentication";
  c.type = ExceptionType::technology;
  c.data_classification = DataClassification::YELLOW;
  c.description = "The old VPN concentrator cannot do MFA.";
  c.justification = "Replacement is scheduled.";
  c.resources = "vpn-01";
  c.scope = "Engineering";
  c.likelihood = 2;
  c.impact = 3;
  c.compensating_controls = {
      {"IP allow-list", "ops@example.com", ControlStatus::implemented, "https://wiki.example.com/vpn"}};
  c.start_on = day("2026-01-01");
  c.end_on = day("2026-03-01");
  c.links = {"https://tickets.example.com/VPN-1"};
  return c;
}

std::set<std::string> fields(const FieldErrors& errors) {
  std::set<std::string> out;
  for (const auto& e : errors) out.insert(e.field);
  return out;
}

// The errors name exactly these fields.
void expect_fields(const FieldErrors& errors, std::set<std::string> want) { EXPECT_EQ(fields(errors), want); }

TEST(Validation, CompleteRequestPassesBothChecks) {
  EXPECT_TRUE(validate_draft(complete()).empty());
  EXPECT_TRUE(validate_for_submit(complete(), 90).empty());
}

TEST(Validation, DraftNeedsOnlyTitleAndPolicy) {
  RequestContent c;
  c.title = "t";
  c.policy_id = "p";
  EXPECT_TRUE(validate_draft(c).empty());
  expect_fields(validate_draft(RequestContent{}), {"title", "policy_id"});
  c.title = "  \t\n";
  expect_fields(validate_draft(c), {"title"});
  c.title = "t";
  c.policy_id = " ";
  expect_fields(validate_draft(c), {"policy_id"});
}

TEST(Validation, LikelihoodAndImpactRange) {
  for (int v : {1, 3, 5}) {
    auto c = complete();
    c.likelihood = v;
    c.impact = v;
    EXPECT_TRUE(validate_draft(c).empty()) << v;
  }
  for (int v : {0, 6, -1}) {
    auto c = complete();
    c.likelihood = v;
    expect_fields(validate_draft(c), {"likelihood"});
    c = complete();
    c.impact = v;
    expect_fields(validate_draft(c), {"impact"});
  }
}

TEST(Validation, ControlsNeedDescriptionsAndHttpEvidence) {
  auto c = complete();
  c.compensating_controls.push_back({" ", "", ControlStatus::planned, ""});
  expect_fields(validate_draft(c), {"compensating_controls.1.description"});
  c = complete();
  c.compensating_controls[0].evidence_url = "ftp://files.example.com/x";
  expect_fields(validate_draft(c), {"compensating_controls.0.evidence_url"});
  c.compensating_controls[0].evidence_url = "";  // optional
  EXPECT_TRUE(validate_draft(c).empty());
  c.compensating_controls[0].owner = std::string(kMaxShort + 1, 'o');
  expect_fields(validate_draft(c), {"compensating_controls.0.owner"});
}

TEST(Validation, ControlsListItselfIsCheckedWhenRequired) {
  expect_fields(validate_controls({}, "decision.controls", true), {"decision.controls"});
  EXPECT_TRUE(validate_controls({}, "decision.controls", false).empty());
  std::vector<CompensatingControl> many(kMaxItems + 1, CompensatingControl{"d"});
  expect_fields(validate_controls(many, "cc", false), {"cc"});
  many.pop_back();
  EXPECT_TRUE(validate_controls(many, "cc", true).empty());
}

TEST(Validation, LinksMustBeHttpUrls) {
  auto c = complete();
  c.links = {"https://ok.example.com", "javascript:alert(1)", "http://also.ok"};
  expect_fields(validate_draft(c), {"links.1"});
  c.links = std::vector<std::string>(kMaxItems + 1, "https://x.example.com");
  expect_fields(validate_draft(c), {"links"});
}

TEST(Validation, EndBeforeStartIsRefused) {
  auto c = complete();
  c.end_on = day("2025-12-31");
  expect_fields(validate_draft(c), {"end_on"});
  expect_fields(validate_for_submit(c, 90), {"end_on"});
  c.end_on = c.start_on;  // a single day is fine
  EXPECT_TRUE(validate_for_submit(c, 90).empty());
}

TEST(Validation, EndBeyondMaxDaysIsRefusedOnSubmitOnly) {
  auto c = complete();
  c.end_on = day("2026-04-01");  // exactly 90 days after 2026-01-01
  EXPECT_TRUE(validate_for_submit(c, 90).empty());
  c.end_on = day("2026-04-02");
  EXPECT_TRUE(validate_draft(c).empty());
  auto errors = validate_for_submit(c, 90);
  expect_fields(errors, {"end_on"});
  EXPECT_NE(errors[0].message.find("90"), std::string::npos);
  EXPECT_TRUE(validate_for_submit(c, 91).empty());
}

TEST(Validation, SubmitNamesEachMissingField) {
  RequestContent c;
  c.title = "t";
  c.policy_id = "p";
  expect_fields(validate_for_submit(c, 90),
                {"requirement", "type", "data_classification", "description", "justification", "resources",
                 "scope", "likelihood", "impact", "start_on", "end_on", "compensating_controls"});
  // One at a time, from a complete request.
  const std::vector<std::pair<std::string, void (*)(RequestContent&)>> removals{
      {"title", [](RequestContent& c) { c.title.clear(); }},
      {"policy_id", [](RequestContent& c) { c.policy_id.clear(); }},
      {"requirement", [](RequestContent& c) { c.requirement = " "; }},
      {"type", [](RequestContent& c) { c.type.reset(); }},
      {"data_classification", [](RequestContent& c) { c.data_classification.reset(); }},
      {"description", [](RequestContent& c) { c.description.clear(); }},
      {"justification", [](RequestContent& c) { c.justification.clear(); }},
      {"resources", [](RequestContent& c) { c.resources.clear(); }},
      {"scope", [](RequestContent& c) { c.scope.clear(); }},
      {"likelihood", [](RequestContent& c) { c.likelihood.reset(); }},
      {"impact", [](RequestContent& c) { c.impact.reset(); }},
      {"start_on", [](RequestContent& c) { c.start_on.reset(); }},
      {"end_on", [](RequestContent& c) { c.end_on.reset(); }},
      {"compensating_controls", [](RequestContent& c) { c.compensating_controls.clear(); }},
  };
  for (const auto& [field, remove] : removals) {
    auto c2 = complete();
    remove(c2);
    expect_fields(validate_for_submit(c2, 90), {field});
  }
  // Optional fields may stay empty.
  auto c3 = complete();
  c3.alternative.clear();
  c3.links.clear();
  EXPECT_TRUE(validate_for_submit(c3, 90).empty());
}

TEST(Validation, TextTooLong) {
  auto c = complete();
  c.title = std::string(kMaxTitle, 't');
  EXPECT_TRUE(validate_draft(c).empty());
  c.title += "t";
  expect_fields(validate_draft(c), {"title"});
  // Lengths count characters, not bytes.
  std::string accents;
  for (std::size_t i = 0; i < kMaxTitle; ++i) accents += "é";
  c.title = accents;
  EXPECT_TRUE(validate_draft(c).empty());
  c.title += "é";
  expect_fields(validate_draft(c), {"title"});

  for (auto member :
       {&RequestContent::requirement, &RequestContent::description, &RequestContent::alternative,
        &RequestContent::justification, &RequestContent::resources, &RequestContent::scope}) {
    auto d = complete();
    d.*member = std::string(kMaxText, 'x');
    EXPECT_TRUE(validate_draft(d).empty());
    d.*member += "x";
    EXPECT_EQ(validate_draft(d).size(), 1u);
  }
  auto d = complete();
  d.description = std::string(kMaxText + 1, 'x');
  expect_fields(validate_draft(d), {"description"});
  d = complete();
  d.policy_id = std::string(kMaxShort + 1, 'p');
  expect_fields(validate_draft(d), {"policy_id"});
}

TEST(Validation, ControlCharactersAreRefused) {
  auto c = complete();
  c.description = "line one\nline two\r\n\tindented";
  EXPECT_TRUE(validate_draft(c).empty());
  c.description = std::string("nul") + '\0' + "byte";
  expect_fields(validate_draft(c), {"description"});
  c = complete();
  c.scope = "bell\x07";
  expect_fields(validate_draft(c), {"scope"});
  c = complete();
  c.title = "esc\x1b[31m";
  expect_fields(validate_draft(c), {"title"});
  c = complete();
  c.compensating_controls[0].description = "a\x01";
  expect_fields(validate_draft(c), {"compensating_controls.0.description"});
}

TEST(Validation, CheckTextReportsOneErrorPerField) {
  FieldErrors errors;
  check_text(errors, "f", "fine", 10);
  EXPECT_TRUE(errors.empty());
  check_text(errors, "f", std::string(11, '\x01'), 10);  // too long wins
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("longer"), std::string::npos);
  check_text(errors, "g", "\x01\x02", 10);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[1].field, "g");
  EXPECT_NE(errors[1].message.find("control"), std::string::npos);
}

TEST(Validation, IsHttpUrl) {
  for (const char* ok :
       {"http://example.com", "https://example.com/a/b?c=d#e", "https://user@host:8443/x", "http://10.0.0.1"})
    EXPECT_TRUE(is_http_url(ok)) << ok;
  for (const char* bad :
       {"", "example.com", "ftp://example.com", "mailto:a@example.com", "javascript:alert(1)", "http://",
        "https://", "http:///path", "https://exa mple.com", "https://example.com/\"x",
        "https://example.com/<x>", "https://example.com\\x", "HTTP//example.com", "https://example.com/\x7f",
        "https://example.com/\n"})
    EXPECT_FALSE(is_http_url(bad)) << bad;
  EXPECT_TRUE(is_http_url("https://example.com/" + std::string(1900, 'a')));
  EXPECT_FALSE(is_http_url("https://example.com/" + std::string(2000, 'a')));
}

}  // namespace
}  // namespace waiver::domain
