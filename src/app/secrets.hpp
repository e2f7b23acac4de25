// Random secrets and their hashes: tokens, session ids and CSRF tokens are random; only their
// SHA-256 is stored.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace waiver::app {

std::string random_hex(std::size_t bytes);
// Lowercase hex of the SHA-256 of `text` (libsodium): the stored form of secrets and the audit
// chain's hash.
std::string sha256_hex(std::string_view text);

}  // namespace waiver::app
