// The request written as text must be, byte for byte, the json tree's dump: the API's answers,
// the audit snapshots (their hashes) and the register all depend on one shape.
#include "app/request_text.hpp"

#include <gtest/gtest.h>

#include "app/request_json.hpp"

namespace waiver::app {
namespace {

using domain::Instant;

std::string tree_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string text_of(const domain::ExceptionRequest& r) {
  std::string out;
  append_json(out, r);
  return out;
}

std::string text_of(const RequestView& v) {
  std::string out;
  append_json(out, v);
  return out;
}

// A request with every field empty: the nulls and empty arrays.
domain::ExceptionRequest bare() {
  domain::ExceptionRequest r;
  r.id = 7;
  r.ref = "EXC-2026-0007";
  r.requester = "ana@example.com";
  r.created_at = r.updated_at = Instant{1'790'000'000};
  return r;
}

// A request with every field set, and text that JSON must escape.
domain::ExceptionRequest full() {
  using namespace domain;
  ExceptionRequest r = bare();
  r.status = Status::appeal_executive;
  r.requester_name = "Ana \"the\" Requester";
  r.department = "Engineering\\Platform";
  auto& c = r.content;
  c.title = "USB \x01 storage\tfor\nthe lab\r\f\b \x1f \x7f — 日本語 😀";
  c.policy_id = "acceptable-use";
  c.requirement = "4.2";
  c.type = ExceptionType::technology;
  c.data_classification = DataClassification::ORANGE;
  c.description = "</script><script>alert(1)</script>";
  c.alternative = "=SUM(A1)";
  c.justification = "needed";
  c.resources = "lab-1, lab-2";
  c.scope = "the lab";
  c.likelihood = 3;
  c.impact = 4;
  c.compensating_controls = {
      {"Encrypt", "bob@example.com", ControlStatus::implemented, "https://e.example/1"},
      {"Log", "", ControlStatus::planned, ""}};
  c.start_on = parse_date("2026-12-01");
  c.end_on = parse_date("2027-03-01");
  c.links = {"https://a.example", "https://b.example/\"q\""};
  r.max_days = 90;
  r.matrix_version = 3;
  r.approvals = {{"department_head",
                  Status::department_review,
                  true,
                  SlotStatus::approved,
                  {"head@example.com"},
                  "head@example.com",
                  Instant{1'790'000'100},
                  "fine"},
                 {"policy_owner",
                  Status::policy_review,
                  false,
                  SlotStatus::pending,
                  {"owner@example.com", "nobody@example.com"},
                  "",
                  std::nullopt,
                  ""}};
  r.implications = Implications::current;
  r.frameworks = {"SOC 2", "ISO 27001"};
  r.risk_level = RiskLevel::high;
  r.decision_end_on = parse_date("2027-02-01");
  r.action_plan = "patch";
  r.appeal.reason = "business need";
  r.appeal.by = "ana@example.com";
  r.appeal.at = Instant{1'790'000'200};
  r.appeal.legal_opinion = "ok";
  r.appeal.legal_by = "legal@example.com";
  r.appeal.legal_at = Instant{1'790'000'300};
  r.appeal.dispositions = {{Role::ceo, "ceo@example.com", Disposition::grant, "", Instant{1'790'000'400}},
                           {Role::cfo, "cfo@example.com", Disposition::uphold, "no", Instant{1'790'000'500}}};
  r.invitations = {{"expert@example.com", "look", "ana@example.com", Instant{1'790'000'050}},
                   {"x@example.com", "", "ana@example.com", Instant{1'790'000'060}}};
  r.closed_reason = "done";
  r.parent_id = 3;
  r.extension_ids = {9, 12};
  r.version = 11;
  r.submitted_at = Instant{1'790'000'010};
  r.decided_at = Instant{1'790'000'600};
  return r;
}

RequestView view_of(domain::ExceptionRequest r, bool detailed) {
  RequestView v;
  v.request = std::move(r);
  v.detailed = detailed;
  v.allowed_actions = {"comment", "decide:policy_owner"};
  v.inputs = {{"expert@example.com", "my \"input\"", Instant{1'790'000'070}}};
  v.reviews = {{"sec@example.com", "reviewed", Instant{1'790'000'080}},
               {"gone@example.com", "", Instant{1'790'000'090}}};
  v.names = {{"head@example.com", "Head"},
             {"owner@example.com", "Owner"},
             {"expert@example.com", "Expert"},
             {"sec@example.com", "Sec"}};
  return v;
}

TEST(RequestText, ARequestIsItsTreesDump) {
  for (const auto& r : {bare(), full()}) EXPECT_EQ(text_of(r), tree_text(to_json(r)));
}

TEST(RequestText, AViewIsItsTreesDumpDetailedOrNot) {
  for (const auto& r : {bare(), full()})
    for (bool detailed : {true, false}) {
      const auto v = view_of(r, detailed);
      EXPECT_EQ(text_of(v), tree_text(to_json(v))) << "detailed " << detailed;
    }
}

TEST(RequestText, InvalidUtf8BecomesTheReplacementCharacterAsInTheTree) {
  auto r = full();
  for (std::string bad : {"\xff", "a\xc3", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xc0\xafok",
                          "\xf0\x9f\x98"}) {
    r.content.title = bad;
    EXPECT_EQ(text_of(r), tree_text(to_json(r))) << bad;
    EXPECT_NE(text_of(r).find("\xef\xbf\xbd"), std::string::npos) << bad;
  }
}

TEST(RequestText, StringsAreEscapedAsJsonReadsThemBack) {
  const std::string s = std::string("q\"b\\s/\x00\x1f\x7f\n", 10) + "é😀";
  std::string out;
  append_json_string(out, s);
  EXPECT_EQ(json::parse(out).get<std::string>(), s);
  EXPECT_EQ(out, json(s).dump());
}

}  // namespace
}  // namespace waiver::app
