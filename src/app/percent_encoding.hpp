// Decoding %XX in URLs (path segments, database URLs).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace waiver::app {

// The decoded text, or nothing when a % is not followed by two hex digits.
std::optional<std::string> percent_decoded(std::string_view s);

}  // namespace waiver::app
