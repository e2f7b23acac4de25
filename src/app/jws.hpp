// Signed JSON Web Tokens (JWS compact form) checked against a JSON Web Key Set: RS256 and
// ES256, with OpenSSL. Any other algorithm ("none", HS256, ...) is refused.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace waiver::app {

using nlohmann::json;

std::string base64url_encode(std::string_view bytes);
// Without padding, as JOSE writes it; nothing on any other character.
std::optional<std::string> base64url_decode(std::string_view text);

struct Jws {
  json header;                // an object
  json payload;               // an object
  std::string signing_input;  // header.payload, as received
  std::string signature;      // raw bytes
};

// Splits and decodes; refuses anything but three parts with JSON objects for header and payload.
tl::expected<Jws, std::string> parse_jws(const std::string& compact);

enum class KeyLookup { found, unknown_kid, no_key };

// The key of `jwks` ({"keys": [...]}) that may verify `jws`: the one named by the header's `kid`,
// or the only usable key when there is no `kid`.
KeyLookup find_key(const json& jwks, const Jws& jws, json& key);

// True when `jws` carries a supported algorithm and `key` (a JWK) verifies its signature.
tl::expected<void, std::string> verify_signature(const Jws& jws, const json& key);

bool supported_algorithm(const std::string& alg);

}  // namespace waiver::app
