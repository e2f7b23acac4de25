// The JSON form of a request and its parts: one mapping for the API answers, the audit
// snapshots and the store's JSON columns.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "domain/errors.hpp"
#include "domain/exception_request.hpp"
#include "domain/process.hpp"

namespace waiver::app {

using nlohmann::json;

json to_json(const domain::ExceptionRequest& r);
json to_json(const domain::ApprovalSlot& s);
json to_json(const domain::CompensatingControl& c);
json to_json(const domain::Appeal& a);
json to_json(const domain::Invitation& i);
json to_json(const domain::Note& n, const char* body_key);

std::vector<domain::ApprovalSlot> approvals_from_json(const json& j);
// The stored compensating controls (the array to_json writes), read straight into the structs by
// simdjson's parser (docs/adr/0001-simdjson-for-stored-controls.md); text simdjson refuses goes
// through nlohmann's SAX parser, so malformed text throws nlohmann::json::parse_error, as
// json::parse would.
std::vector<domain::CompensatingControl> controls_from_text(std::string_view text);
domain::Appeal appeal_from_json(const json& j);
std::vector<domain::Invitation> invitations_from_json(const json& j);

// Reads fields of a JSON body, collecting one error per field at fault.
class BodyReader {
 public:
  BodyReader(const json& body, std::set<std::string> allowed);
  std::string text(const std::string& key);
  std::optional<int> integer(const std::string& key);
  std::optional<domain::Date> date(const std::string& key);
  std::vector<std::string> strings(const std::string& key);
  std::optional<std::vector<domain::CompensatingControl>> controls(const std::string& key);
  template <typename E>
  std::optional<E> enumeration(const std::string& key);
  bool has(const std::string& key) const { return body_.contains(key); }
  bool is_null(const std::string& key) const { return has(key) && body_.at(key).is_null(); }
  domain::FieldErrors& errors() { return errors_; }
  // The errors so far as a refusal, or nothing.
  std::optional<domain::Refusal> refusal(const std::string& detail) const;

 private:
  const json& body_;
  domain::FieldErrors errors_;
};

// Merges the writable fields present in `body` into `content`; null clears a field.
domain::Result<void> apply_content(domain::RequestContent& content, const json& body);

domain::Result<domain::SlotDecision> slot_decision_from(const json& body, const std::string& slot);

template <typename E>
std::optional<E> BodyReader::enumeration(const std::string& key) {
  if (!body_.contains(key) || body_.at(key).is_null()) return std::nullopt;
  const auto& v = body_.at(key);
  if (v.is_string())
    if (auto e = domain::from_string<E>(v.get<std::string>())) return e;
  errors_.push_back({key, "must be one of: " + domain::allowed_values<E>()});
  return std::nullopt;
}

}  // namespace waiver::app
