// `waiver init --demo`: a living organisation with requests in every state.
#pragma once
#include <string>
#include <vector>

#include "app/services.hpp"

namespace waiver::cli {

struct DemoLogin {
  std::string email;
  std::string role;
  std::string token;
};

// Loads the demo organisation and plays the process up to every state. Returns a token for
// each person a newcomer would want to sign in as.
std::vector<DemoLogin> load_demo(app::Store& store, domain::Instant now);

}  // namespace waiver::cli
