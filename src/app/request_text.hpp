// A request as JSON text, written straight into a string: byte for byte what
// `to_json(...).dump(-1, ' ', false, replace)` gives (request_json.hpp holds that tree form, the
// reference; request_text_test.cpp checks the two agree), without building and freeing a json
// tree of maps on the way. The register writes 50 requests a page, the import one snapshot a row:
// the tree was most of their time.
#pragma once
#include <string>

#include "app/services.hpp"
#include "domain/exception_request.hpp"

namespace waiver::app {

// Appends the request as `to_json(r).dump()`: the audit snapshot.
void append_json(std::string& out, const domain::ExceptionRequest& r);
// Appends the view as `to_json(v).dump()`: the API's request.
void append_json(std::string& out, const RequestView& v);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF):
// the text nlohmann's JSON writer copies as it is.
bool is_valid_utf8(std::string_view s);

// Appends `s` as a JSON string; invalid UTF-8 becomes U+FFFD, as nlohmann's `replace` handler does.
void append_json_string(std::string& out, std::string_view s);

}  // namespace waiver::app
