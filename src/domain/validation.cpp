#include "domain/validation.hpp"

namespace waiver::domain {
namespace {

void require(FieldErrors& errors, const std::string& field, bool present) {
  if (!present) errors.push_back({field, "is required"});
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// Counts UTF-8 code points; the JSON layer has already refused invalid UTF-8.
std::size_t length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

bool is_http_url(std::string_view url) {
  auto rest = url;
  if (rest.starts_with("https://"))
    rest.remove_prefix(8);
  else if (rest.starts_with("http://"))
    rest.remove_prefix(7);
  else
    return false;
  if (rest.empty() || rest.front() == '/' || url.size() > 2000) return false;
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  return true;
}

void check_text(FieldErrors& errors, const std::string& field, const std::string& text, std::size_t max) {
  if (length(text) > max) {
    errors.push_back({field, "is longer than " + std::to_string(max) + " characters"});
    return;
  }
  for (unsigned char c : text)
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
      errors.push_back({field, "holds a control character"});
      return;
    }
}

FieldErrors validate_controls(const std::vector<CompensatingControl>& controls, const std::string& field,
                              bool required) {
  FieldErrors errors;
  if (required && controls.empty()) errors.push_back({field, "needs at least one compensating control"});
  if (controls.size() > kMaxItems)
    errors.push_back({field, "has more than " + std::to_string(kMaxItems) + " items"});
  for (std::size_t i = 0; i < controls.size() && i < kMaxItems; ++i) {
    const auto& c = controls[i];
    const std::string at = field + "." + std::to_string(i);
    if (blank(c.description)) errors.push_back({at + ".description", "is required"});
    check_text(errors, at + ".description", c.description, kMaxText);
    check_text(errors, at + ".owner", c.owner, kMaxShort);
    if (!c.evidence_url.empty() && !is_http_url(c.evidence_url))
      errors.push_back({at + ".evidence_url", "must be an http or https URL"});
  }
  return errors;
}

FieldErrors validate_draft(const RequestContent& c) {
  FieldErrors errors;
  if (blank(c.title)) errors.push_back({"title", "is required"});
  if (blank(c.policy_id)) errors.push_back({"policy_id", "is required"});
  check_text(errors, "title", c.title, kMaxTitle);
  check_text(errors, "policy_id", c.policy_id, kMaxShort);
  check_text(errors, "requirement", c.requirement, kMaxText);
  check_text(errors, "description", c.description, kMaxText);
  check_text(errors, "alternative", c.alternative, kMaxText);
  check_text(errors, "justification", c.justification, kMaxText);
  check_text(errors, "resources", c.resources, kMaxText);
  check_text(errors, "scope", c.scope, kMaxText);
  if (c.likelihood && (*c.likelihood < 1 || *c.likelihood > 5))
    errors.push_back({"likelihood", "must be between 1 and 5"});
  if (c.impact && (*c.impact < 1 || *c.impact > 5)) errors.push_back({"impact", "must be between 1 and 5"});
  auto more = validate_controls(c.compensating_controls, "compensating_controls", false);
  errors.insert(errors.end(), more.begin(), more.end());
  if (c.start_on && c.end_on && *c.end_on < *c.start_on) errors.push_back({"end_on", "is before start_on"});
  if (c.links.size() > kMaxItems)
    errors.push_back({"links", "has more than " + std::to_string(kMaxItems) + " items"});
  for (std::size_t i = 0; i < c.links.size() && i < kMaxItems; ++i)
    if (!is_http_url(c.links[i]))
      errors.push_back({"links." + std::to_string(i), "must be an http or https URL"});
  return errors;
}

FieldErrors validate_for_submit(const RequestContent& c, int max_days) {
  FieldErrors errors = validate_draft(c);
  require(errors, "requirement", !blank(c.requirement));
  require(errors, "type", c.type.has_value());
  require(errors, "data_classification", c.data_classification.has_value());
  require(errors, "description", !blank(c.description));
  require(errors, "justification", !blank(c.justification));
  require(errors, "resources", !blank(c.resources));
  require(errors, "scope", !blank(c.scope));
  require(errors, "likelihood", c.likelihood.has_value());
  require(errors, "impact", c.impact.has_value());
  require(errors, "start_on", c.start_on.has_value());
  require(errors, "end_on", c.end_on.has_value());
  if (c.compensating_controls.empty())
    errors.push_back({"compensating_controls", "needs at least one proposed compensating control"});
  if (c.start_on && c.end_on && *c.end_on >= *c.start_on && days_between(*c.start_on, *c.end_on) > max_days)
    errors.push_back({"end_on", "is more than " + std::to_string(max_days) +
                                    " days after start_on (the matrix's maximum)"});
  return errors;
}

}  // namespace waiver::domain
