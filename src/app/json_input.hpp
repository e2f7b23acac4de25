// Reading untrusted JSON (request bodies): a size limit, a depth limit, an object at the top, and
// only the errors of the decoder (never an exception) for whatever the bytes are.
#pragma once
#include <nlohmann/json.hpp>
#include <string_view>

#include "app/error.hpp"

namespace waiver::app {

struct JsonLimits {
  std::size_t max_bytes = 1024 * 1024;  // more is too_large
  int max_depth = 32;                   // deeper is bad_request
};

// The body as a JSON object: too_large past the size limit; bad_request when it is malformed
// (invalid UTF-8 included), too deep, a number out of range, or not an object. An empty body reads
// as {} when `empty_ok`.
Outcome<nlohmann::json> parse_json_object(std::string_view body, const JsonLimits& limits, bool empty_ok);

}  // namespace waiver::app
