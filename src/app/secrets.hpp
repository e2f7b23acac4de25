// Random secrets and their hashes: tokens, session ids and CSRF tokens are random; only their
// SHA-256 is stored.
#pragma once
#include <cstddef>
#include <string>

namespace waiver::app {

std::string random_hex(std::size_t bytes);
std::string sha256_hex(const std::string& text);

}  // namespace waiver::app
