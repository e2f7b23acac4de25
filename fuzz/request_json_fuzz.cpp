// libFuzzer: a request body through JSON decoding, the request and decision readers and the
// validation rules, then back to JSON. Nothing may crash, throw or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/json_input.hpp"
#include "app/percent_encoding.hpp"
#include "app/request_json.hpp"
#include "domain/validation.hpp"

using namespace waiver;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)app::percent_decoded(bytes);
  auto body = app::parse_json_object(bytes, app::JsonLimits{}, true);
  if (!body) return 0;
  domain::ExceptionRequest request;
  if (app::apply_content(request.content, *body)) {
    (void)domain::validate_draft(request.content);
    (void)domain::validate_for_submit(request.content, 90);
    // Whatever was accepted can be written out (invalid UTF-8 never gets this far).
    (void)app::to_json(request).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  }
  for (const char* slot : {"department", "compliance", "owner", "legal"})
    (void)app::slot_decision_from(*body, slot);
  return 0;
}
