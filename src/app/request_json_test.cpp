// The stored compensating controls, read without a json tree, must come back as they were written.
#include "app/request_json.hpp"

#include <gtest/gtest.h>

namespace waiver::app {
namespace {

using domain::CompensatingControl;
using domain::ControlStatus;

std::string stored(const std::vector<CompensatingControl>& controls) {
  json j = json::array();
  for (const auto& c : controls) j.push_back(to_json(c));
  return j.dump();
}

TEST(ControlsFromText, ReadsBackWhatWasWritten) {
  const std::vector<std::vector<CompensatingControl>> cases{
      {},
      {{"MFA on the VPN", "", ControlStatus::planned, ""}},
      {{"Weekly log review", "sec@example.com", ControlStatus::implemented, "https://wiki/logs?a=1&b=\"2\""},
       {"quote \" backslash \\ tab \t new line \n, caf\xC3\xA9 \xF0\x9F\x94\x92", "", ControlStatus::verified,
        ""},
       {"", "owner@example.com", ControlStatus::planned, "https://evidence"}},
  };
  for (const auto& controls : cases)
    EXPECT_EQ(controls_from_text(stored(controls)), controls) << stored(controls);
}

TEST(ControlsFromText, PassesOverWhatIsNotAControlField) {
  const auto got = controls_from_text(
      R"([{"description":"a","owner":null,"extra":{"description":"not this","x":[1,"y"]},"status":"implemented",)"
      R"("evidence_url":null,"n":1.5,"b":true},)"
      R"(["description","not a control"],{"status":"no such status"}])");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (CompensatingControl{"a", "", ControlStatus::implemented, ""}));
  EXPECT_EQ(got[1], (CompensatingControl{"", "", ControlStatus::planned, ""}));
  EXPECT_TRUE(controls_from_text("").empty());
  EXPECT_TRUE(controls_from_text("null").empty());
  EXPECT_TRUE(controls_from_text(R"({"description":"an object, not a list"})").empty());
}

// simdjson refuses a number beyond 64 bits, which nlohmann reads as a double: such text (well-formed
// JSON) is read by the SAX reader instead, and its controls are still there.
TEST(ControlsFromText, TextSimdjsonRefusesIsReadByTheSaxReader) {
  const auto got = controls_from_text(
      R"([{"description":"a","n":123456789012345678901234567890,"status":"verified"},{"owner":"o@x"}])");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (CompensatingControl{"a", "", ControlStatus::verified, ""}));
  EXPECT_EQ(got[1], (CompensatingControl{"", "o@x", ControlStatus::planned, ""}));
}

TEST(ControlsFromText, MalformedTextThrowsAsTheParserWould) {
  for (const char* text : {"[", R"([{"description":"a")", "[1,]", "not json", R"([{"description":"a"}] x)"})
    EXPECT_THROW(controls_from_text(text), json::parse_error) << text;
}

}  // namespace
}  // namespace waiver::app
