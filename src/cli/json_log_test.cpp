#include "cli/json_log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>

namespace waiver::cli {
namespace {

TEST(JsonLog, KeyValueMessagesBecomeFieldsAndNumbersStayNumbers) {
  const auto j = nlohmann::json::parse("{" +
                                       fields_of("event=request request_id=ab12 method=GET path=\"/a b\" "
                                                 "status=200 duration_ms=0.512 remote=127.0.0.1") +
                                       "}");
  EXPECT_EQ(j.at("event"), "request");
  EXPECT_EQ(j.at("path"), "/a b");
  EXPECT_EQ(j.at("status"), 200);
  EXPECT_DOUBLE_EQ(j.at("duration_ms").get<double>(), 0.512);
  EXPECT_EQ(j.at("remote"), "127.0.0.1");
}

TEST(JsonLog, OtherMessagesAreNotTakenApart) {
  EXPECT_EQ(fields_of("stopping: finishing the requests"), "");
  EXPECT_EQ(fields_of("a=\"unterminated"), "");
  EXPECT_EQ(fields_of("reason=\"x\"y"), "");
  EXPECT_EQ(fields_of(""), "");
}

TEST(JsonLog, EachLineIsOneJsonObject) {
  JsonLogFormatter f;
  spdlog::details::log_msg msg("waiver", spdlog::level::warn, "event=jobs reason=\"a \\ b\" \xff");
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  const std::string line(buf.data(), buf.size());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j.at("level"), "warning");
  EXPECT_TRUE(j.at("time").get<std::string>().ends_with("Z"));
}

TEST(JsonLog, TheTimeIsTheMessagesToTheMillisecond) {
  JsonLogFormatter f;
  spdlog::details::log_msg msg("waiver", spdlog::level::info, "event=start");
  // 2026-11-27T18:55:40.007Z
  msg.time = spdlog::log_clock::time_point(std::chrono::milliseconds(1'795'805'740'007LL));
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  const auto j = nlohmann::json::parse(std::string(buf.data(), buf.size()));
  EXPECT_EQ(j.at("time"), "2026-11-27T18:55:40.007Z");
  msg.time = spdlog::log_clock::time_point(std::chrono::milliseconds(999));
  buf.clear();
  f.format(msg, buf);
  EXPECT_EQ(nlohmann::json::parse(std::string(buf.data(), buf.size())).at("time"),
            "1970-01-01T00:00:00.999Z");
}

}  // namespace
}  // namespace waiver::cli
