#include "app/json_input.hpp"

namespace waiver::app {
namespace {

struct TooDeep {};

}  // namespace

Outcome<nlohmann::json> parse_json_object(std::string_view body, const JsonLimits& limits, bool empty_ok) {
  using nlohmann::json;
  if (body.size() > limits.max_bytes)
    return fail(Error::Kind::too_large,
                "the body is larger than " + std::to_string(limits.max_bytes) + " bytes");
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    if (empty_ok) return json::object();
    return fail(Error::Kind::bad_request, "a JSON object is required as the body");
  }
  const int max_depth = limits.max_depth;
  try {
    json value = json::parse(body, [max_depth](int depth, json::parse_event_t, json&) {
      if (depth > max_depth) throw TooDeep{};
      return true;
    });
    if (!value.is_object()) return fail(Error::Kind::bad_request, "the body must be a JSON object");
    return value;
  } catch (const TooDeep&) {
    return fail(Error::Kind::bad_request,
                "the JSON is nested deeper than " + std::to_string(max_depth) + " levels");
  } catch (const json::parse_error& e) {
    return fail(Error::Kind::bad_request,
                "malformed JSON at byte " + std::to_string(e.byte) + ": " +
                    (e.id == 101 ? "syntax error or invalid UTF-8" : "cannot be read"));
  } catch (const json::exception& e) {
    // Any other decoder error (a number out of range, say) is the client's too, never a 5xx.
    return fail(Error::Kind::bad_request, "the JSON cannot be read (error " + std::to_string(e.id) + ")");
  }
}

}  // namespace waiver::app
