// Untrusted JSON bodies: every kind of bad input is an error value of the right kind, never an
// exception (a number past the range of a double once escaped as a 503).
#include "app/json_input.hpp"

#include <gtest/gtest.h>

namespace waiver::app {
namespace {

Error::Kind kind_of(std::string_view body) {
  auto r = parse_json_object(body, JsonLimits{1024, 8}, false);
  EXPECT_FALSE(r.has_value()) << body;
  return r ? Error::Kind::unavailable : r.error().kind;
}

TEST(JsonInput, NumbersOutOfRangeAreMalformedNotAServerError) {
  EXPECT_EQ(kind_of(R"({"a": 1e400})"), Error::Kind::bad_request);
  EXPECT_EQ(kind_of(R"({"a": -1e400})"), Error::Kind::bad_request);
}

TEST(JsonInput, MalformedTooDeepTooLargeAndNotAnObject) {
  EXPECT_EQ(kind_of(R"({"a": )"), Error::Kind::bad_request);
  EXPECT_EQ(kind_of("{\"a\": \"\xff\"}"), Error::Kind::bad_request);
  EXPECT_EQ(kind_of(std::string(20, '[')), Error::Kind::bad_request);
  EXPECT_EQ(kind_of("[]"), Error::Kind::bad_request);
  EXPECT_EQ(kind_of(""), Error::Kind::bad_request);
  EXPECT_EQ(kind_of("{\"a\":\"" + std::string(2000, 'x') + "\"}"), Error::Kind::too_large);
}

TEST(JsonInput, AnObjectWithinTheLimitsIsRead) {
  auto r = parse_json_object(R"({"a": [1, {"b": "c"}]})", JsonLimits{1024, 8}, false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)["a"][1]["b"], "c");
  EXPECT_TRUE(parse_json_object("  ", JsonLimits{}, true).value().empty());
}

}  // namespace
}  // namespace waiver::app
