// libFuzzer: a matrix document (PUT /matrix's JSON form) through its checks, then evaluated for
// every kind of request; an accepted matrix never yields a maximum below 1 day.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/json_input.hpp"
#include "app/organisation_json.hpp"
#include "domain/matrix.hpp"

using namespace waiver;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = app::parse_json_object(std::string_view(reinterpret_cast<const char*>(data), size),
                                     app::JsonLimits{}, false);
  if (!body) return 0;
  auto matrix = app::matrix_document_from_json(*body, {"dpo@example.com", "owner@example.com"});
  if (!matrix) return 0;
  if (!domain::validate(*matrix).empty()) return 0;
  (void)app::to_json(*matrix).dump();
  for (auto type :
       {domain::ExceptionType::access, domain::ExceptionType::device, domain::ExceptionType::technology})
    for (auto cls : {domain::DataClassification::RED, domain::DataClassification::YELLOW})
      for (const char* policy : {"access-control", "crypto-standard", ""}) {
        const auto outcome = domain::evaluate(*matrix, {type, policy, cls, domain::PolicyKind::policy});
        if (outcome.max_days < 1) std::abort();
      }
  return 0;
}
