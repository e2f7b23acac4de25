// Reading the WAIVER_* environment variables: unset and empty are the same.
#pragma once
#include <cstdlib>
#include <optional>
#include <string>

namespace waiver::cli {

inline std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

}  // namespace waiver::cli
