// libFuzzer: the canonical encoding of audit events that the hash chain covers. It must be
// deterministic, parse back as JSON, and two events that differ in one valid UTF-8 column must
// encode (and hash) differently.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "store/audit_chain.hpp"

using namespace waiver;

namespace {

bool valid_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  app::AuditEvent e;
  e.id = in.ConsumeIntegral<std::int64_t>();
  e.record.at = domain::Instant{in.ConsumeIntegralInRange<std::int64_t>(-62135596800, 253402300799)};
  e.record.actor = in.ConsumeRandomLengthString(64);
  e.record.action = in.ConsumeRandomLengthString(32);
  e.record.entity_type = in.ConsumeRandomLengthString(16);
  e.record.entity_id = in.ConsumeRandomLengthString(16);
  e.record.ref = in.ConsumeRandomLengthString(16);
  e.record.before = in.ConsumeRandomLengthString(256);
  e.record.after = in.ConsumeRandomLengthString(256);
  e.prev_hash = in.ConsumeRandomLengthString(64);
  e.record.data = in.ConsumeRemainingBytesAsString();

  const std::string a = store::canonical_encoding(e);
  if (store::canonical_encoding(e) != a) std::abort();
  (void)nlohmann::json::parse(a);  // throws (and so fails) if it is not JSON
  // A change to a column is a change to the encoding (when both values are valid UTF-8).
  app::AuditEvent f = e;
  f.record.actor += "x";
  if (valid_utf8(e.record.actor) && store::canonical_encoding(f) == a) std::abort();
  f = e;
  f.record.data += "}";
  if (valid_utf8(e.record.data) && store::canonical_encoding(f) == a) std::abort();
  return 0;
}
