// Logs as JSON Lines: one object per line with time, level and the message's fields. A message
// written as `key=value key="quoted value" …` (every log line of Waiver's own) becomes those
// fields; any other message becomes {"msg": …}.
#pragma once
#include <spdlog/formatter.h>

#include <memory>
#include <string>

namespace waiver::cli {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// The fields of a `key=value …` message as a JSON object's members (without braces), or empty
// when the message is not in that form.
std::string fields_of(std::string_view message);

}  // namespace waiver::cli
