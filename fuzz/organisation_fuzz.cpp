// libFuzzer: the organisation file (YAML) as `waiver import` reads it: YAML to JSON, the
// organisation's checks, and back; an organisation that was accepted must read again as itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "app/organisation_json.hpp"
#include "cli/yaml_json.hpp"

using namespace waiver;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j;
  try {
    j = cli::yaml_to_json(text);
  } catch (const std::runtime_error&) {
    return 0;  // refused with a line number: fine
  }
  auto org = app::organisation_from_json(j, {});
  if (!org) return 0;
  const auto again = app::to_json(*org);
  auto reread = app::organisation_from_json(again, {});
  if (!reread || app::to_json(*reread) != again) std::abort();  // written out, it must read the same
  (void)cli::json_to_yaml(again);
  return 0;
}
