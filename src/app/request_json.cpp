#include "app/request_json.hpp"

#include <simdjson.h>

namespace waiver::app {
namespace {

using domain::format_date;
using domain::format_instant;
using domain::to_string;

json opt_instant(const std::optional<domain::Instant>& t) {
  return t ? json(format_instant(*t)) : json(nullptr);
}
json opt_date(const std::optional<domain::Date>& d) { return d ? json(format_date(*d)) : json(nullptr); }
template <typename E>
json opt_enum(const std::optional<E>& e) {
  return e ? json(std::string(to_string(*e))) : json(nullptr);
}
json opt_text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::optional<domain::Instant> instant_from(const json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_string()) return std::nullopt;
  return domain::parse_instant(j.at(key).get<std::string>());
}
std::string text_from(const json& j, const char* key) {
  return j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : std::string{};
}

}  // namespace

json to_json(const domain::CompensatingControl& c) {
  return {{"description", c.description},
          {"owner", opt_text(c.owner)},
          {"status", to_string(c.status)},
          {"evidence_url", opt_text(c.evidence_url)}};
}

json to_json(const domain::ApprovalSlot& s) {
  return {{"slot", s.slot},          {"stage", to_string(s.stage)},
          {"required", s.required},  {"status", to_string(s.status)},
          {"eligible", s.eligible},  {"by", opt_text(s.by)},
          {"at", opt_instant(s.at)}, {"comment", opt_text(s.comment)}};
}

json to_json(const domain::Appeal& a) {
  json dispositions = json::array();
  for (const auto& d : a.dispositions)
    dispositions.push_back({{"role", to_string(d.role)},
                            {"by", d.by},
                            {"decision", to_string(d.decision)},
                            {"comment", opt_text(d.comment)},
                            {"at", format_instant(d.at)}});
  return {{"reason", opt_text(a.reason)},     {"by", opt_text(a.by)},
          {"at", opt_instant(a.at)},          {"legal_opinion", opt_text(a.legal_opinion)},
          {"legal_by", opt_text(a.legal_by)}, {"legal_at", opt_instant(a.legal_at)},
          {"dispositions", dispositions}};
}

json to_json(const domain::Invitation& i) {
  return {{"email", i.email}, {"note", opt_text(i.note)}, {"by", i.by}, {"at", format_instant(i.at)}};
}

json to_json(const domain::Note& n, const char* body_key) {
  return {{"by", n.by}, {body_key, n.body}, {"at", format_instant(n.at)}};
}

json to_json(const domain::ExceptionRequest& r) {
  const auto& c = r.content;
  json controls = json::array();
  for (const auto& x : c.compensating_controls) controls.push_back(to_json(x));
  json approvals = json::array();
  for (const auto& s : r.approvals) approvals.push_back(to_json(s));
  json invitations = json::array();
  for (const auto& i : r.invitations) invitations.push_back(to_json(i));
  return {
      {"id", r.id},
      {"ref", r.ref},
      {"status", to_string(r.status)},
      {"requester", r.requester},
      {"requester_name", r.requester_name},
      {"department", opt_text(r.department)},
      {"title", c.title},
      {"policy_id", c.policy_id},
      {"requirement", c.requirement},
      {"type", opt_enum(c.type)},
      {"data_classification", opt_enum(c.data_classification)},
      {"description", c.description},
      {"alternative", c.alternative},
      {"justification", c.justification},
      {"resources", c.resources},
      {"scope", c.scope},
      {"likelihood", c.likelihood ? json(*c.likelihood) : json(nullptr)},
      {"impact", c.impact ? json(*c.impact) : json(nullptr)},
      {"compensating_controls", controls},
      {"start_on", opt_date(c.start_on)},
      {"end_on", opt_date(c.end_on)},
      {"links", c.links},
      {"version", r.version},
      {"created_at", format_instant(r.created_at)},
      {"updated_at", format_instant(r.updated_at)},
      {"submitted_at", opt_instant(r.submitted_at)},
      {"decided_at", opt_instant(r.decided_at)},
      {"parent_id", r.parent_id ? json(*r.parent_id) : json(nullptr)},
      {"extension_ids", r.extension_ids},
      {"risk_level", opt_enum(r.risk_level)},
      {"decision_end_on", opt_date(r.decision_end_on)},
      {"action_plan", opt_text(r.action_plan)},
      {"max_days", r.max_days ? json(r.max_days) : json(nullptr)},
      {"matrix_version", r.matrix_version ? json(r.matrix_version) : json(nullptr)},
      {"compliance", {{"implications", opt_enum(r.implications)}, {"frameworks", r.frameworks}}},
      {"appeal", r.appeal.at ? to_json(r.appeal) : json(nullptr)},
      {"invitations", invitations},
      {"closed_reason", opt_text(r.closed_reason)},
      {"approvals", approvals},
  };
}

namespace {

// Fills one control per object of the top-level array from its string fields; every other value
// (null, numbers, deeper arrays or objects, unknown keys) is passed over, as the tree reading did.
class ControlsReader final : public nlohmann::json_sax<json> {
 public:
  explicit ControlsReader(std::vector<domain::CompensatingControl>& out) : out_(out) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool string(string_t& v) override {
    if (!in_control_ || depth_ != 2) return true;
    auto& c = out_.back();
    if (field_ == "description")
      c.description = std::move(v);
    else if (field_ == "owner")
      c.owner = std::move(v);
    else if (field_ == "status")
      c.status = domain::from_string<domain::ControlStatus>(v).value_or(domain::ControlStatus::planned);
    else if (field_ == "evidence_url")
      c.evidence_url = std::move(v);
    return true;
  }
  bool start_object(std::size_t) override {
    if (++depth_ == 2 && top_is_array_) {
      out_.emplace_back();
      in_control_ = true;
    }
    return true;
  }
  bool key(string_t& k) override {
    if (in_control_ && depth_ == 2) field_ = std::move(k);
    return true;
  }
  bool end_object() override {
    if (depth_-- == 2) in_control_ = false;
    return true;
  }
  bool start_array(std::size_t) override {
    if (++depth_ == 1) top_is_array_ = true;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw static_cast<const json::parse_error&>(e);
  }

 private:
  std::vector<domain::CompensatingControl>& out_;
  int depth_ = 0;
  bool top_is_array_ = false;
  bool in_control_ = false;  // inside an object of the top-level array
  std::string field_;
};

// The controls of well-formed text, through simdjson's DOM parser (one parser a thread, its buffers
// kept); an error if the text is not JSON. Only the string fields of the objects of the top-level
// array are read, as ControlsReader does.
simdjson::error_code read_controls(std::string_view text, std::vector<domain::CompensatingControl>& out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(text.data(), text.size()).get(doc)) return error;
  simdjson::dom::array controls;
  if (doc.get_array().get(controls)) return simdjson::SUCCESS;  // not a list: no controls
  for (simdjson::dom::element item : controls) {
    simdjson::dom::object fields;
    if (item.get_object().get(fields)) continue;
    auto& c = out.emplace_back();
    for (simdjson::dom::key_value_pair field : fields) {
      std::string_view value;
      if (field.value.get_string().get(value)) continue;
      if (field.key == "description")
        c.description = value;
      else if (field.key == "owner")
        c.owner = value;
      else if (field.key == "status")
        c.status = domain::from_string<domain::ControlStatus>(value).value_or(domain::ControlStatus::planned);
      else if (field.key == "evidence_url")
        c.evidence_url = value;
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace

std::vector<domain::CompensatingControl> controls_from_text(std::string_view text) {
  std::vector<domain::CompensatingControl> out;
  if (text.empty() || text == "[]" || text == "null") return out;
  if (!read_controls(text, out)) return out;
  // Malformed: nlohmann's reader says where, with the exception json::parse would throw.
  out.clear();
  ControlsReader reader(out);
  json::sax_parse(text, &reader);
  return out;
}

std::vector<domain::ApprovalSlot> approvals_from_json(const json& j) {
  std::vector<domain::ApprovalSlot> out;
  if (!j.is_array()) return out;
  for (const auto& x : j) {
    domain::ApprovalSlot s;
    s.slot = text_from(x, "slot");
    s.stage =
        domain::from_string<domain::Status>(text_from(x, "stage")).value_or(domain::Status::policy_review);
    s.required = x.value("required", true);
    s.status =
        domain::from_string<domain::SlotStatus>(text_from(x, "status")).value_or(domain::SlotStatus::pending);
    if (x.contains("eligible") && x.at("eligible").is_array())
      for (const auto& e : x.at("eligible")) s.eligible.push_back(e.get<std::string>());
    s.by = text_from(x, "by");
    s.at = instant_from(x, "at");
    s.comment = text_from(x, "comment");
    out.push_back(std::move(s));
  }
  return out;
}

domain::Appeal appeal_from_json(const json& j) {
  domain::Appeal a;
  if (!j.is_object()) return a;
  a.reason = text_from(j, "reason");
  a.by = text_from(j, "by");
  a.at = instant_from(j, "at");
  a.legal_opinion = text_from(j, "legal_opinion");
  a.legal_by = text_from(j, "legal_by");
  a.legal_at = instant_from(j, "legal_at");
  if (j.contains("dispositions") && j.at("dispositions").is_array())
    for (const auto& d : j.at("dispositions"))
      a.dispositions.push_back(
          {domain::from_string<domain::Role>(text_from(d, "role")).value_or(domain::Role::ceo),
           text_from(d, "by"),
           domain::from_string<domain::Disposition>(text_from(d, "decision"))
               .value_or(domain::Disposition::uphold),
           text_from(d, "comment"), instant_from(d, "at").value_or(domain::Instant{})});
  return a;
}

std::vector<domain::Invitation> invitations_from_json(const json& j) {
  std::vector<domain::Invitation> out;
  if (!j.is_array()) return out;
  for (const auto& i : j)
    out.push_back({text_from(i, "email"), text_from(i, "note"), text_from(i, "by"),
                   instant_from(i, "at").value_or(domain::Instant{})});
  return out;
}

BodyReader::BodyReader(const json& body, std::set<std::string> allowed) : body_(body) {
  for (const auto& [key, value] : body_.items())
    if (!allowed.contains(key)) errors_.push_back({key, "is not a field that can be written here"});
}

std::optional<domain::Refusal> BodyReader::refusal(const std::string& detail) const {
  if (errors_.empty()) return std::nullopt;
  return domain::Refusal::invalid(detail, errors_);
}

std::string BodyReader::text(const std::string& key) {
  if (!body_.contains(key) || body_.at(key).is_null()) return {};
  if (!body_.at(key).is_string()) {
    errors_.push_back({key, "must be a string"});
    return {};
  }
  return body_.at(key).get<std::string>();
}

std::optional<int> BodyReader::integer(const std::string& key) {
  if (!body_.contains(key) || body_.at(key).is_null()) return std::nullopt;
  const auto& v = body_.at(key);
  if (!v.is_number_integer()) {
    errors_.push_back({key, "must be an integer"});
    return std::nullopt;
  }
  // An unsigned value past INT64_MAX would wrap when read as signed: out of range as it is.
  const bool huge = v.is_number_unsigned() && v.get<std::uint64_t>() > 1000000u;
  const auto n = huge ? std::int64_t{0} : v.get<std::int64_t>();
  if (huge || n < -1000000 || n > 1000000) {
    errors_.push_back({key, "is out of range"});
    return std::nullopt;
  }
  return static_cast<int>(n);
}

std::optional<domain::Date> BodyReader::date(const std::string& key) {
  if (!body_.contains(key) || body_.at(key).is_null()) return std::nullopt;
  const auto& v = body_.at(key);
  if (v.is_string())
    if (auto d = domain::parse_date(v.get<std::string>())) return d;
  errors_.push_back({key, "must be a date YYYY-MM-DD"});
  return std::nullopt;
}

std::vector<std::string> BodyReader::strings(const std::string& key) {
  std::vector<std::string> out;
  if (!body_.contains(key) || body_.at(key).is_null()) return out;
  const auto& v = body_.at(key);
  if (!v.is_array()) {
    errors_.push_back({key, "must be a list of strings"});
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      errors_.push_back({key + "." + std::to_string(i), "must be a string"});
      continue;
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

std::optional<std::vector<domain::CompensatingControl>> BodyReader::controls(const std::string& key) {
  if (!body_.contains(key) || body_.at(key).is_null()) return std::nullopt;
  const auto& v = body_.at(key);
  if (!v.is_array()) {
    errors_.push_back({key, "must be a list of compensating controls"});
    return std::nullopt;
  }
  std::vector<domain::CompensatingControl> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = key + "." + std::to_string(i);
    if (!v[i].is_object()) {
      errors_.push_back({at, "must be an object {description, owner?, status?, evidence_url?}"});
      continue;
    }
    BodyReader item(v[i], {"description", "owner", "status", "evidence_url"});
    domain::CompensatingControl c;
    c.description = item.text("description");
    c.owner = item.text("owner");
    c.status = item.enumeration<domain::ControlStatus>("status").value_or(domain::ControlStatus::planned);
    c.evidence_url = item.text("evidence_url");
    for (auto& e : item.errors()) errors_.push_back({at + "." + e.field, e.message});
    out.push_back(std::move(c));
  }
  return out;
}

domain::Result<void> apply_content(domain::RequestContent& c, const json& body) {
  BodyReader in(body, {"title", "policy_id", "requirement", "type", "data_classification", "description",
                       "alternative", "justification", "resources", "scope", "likelihood", "impact",
                       "compensating_controls", "start_on", "end_on", "links"});
  auto set_text = [&](const char* key, std::string& field) {
    if (in.has(key)) field = in.text(key);
  };
  set_text("title", c.title);
  set_text("policy_id", c.policy_id);
  set_text("requirement", c.requirement);
  set_text("description", c.description);
  set_text("alternative", c.alternative);
  set_text("justification", c.justification);
  set_text("resources", c.resources);
  set_text("scope", c.scope);
  if (in.has("type")) c.type = in.enumeration<domain::ExceptionType>("type");
  if (in.has("data_classification"))
    c.data_classification = in.enumeration<domain::DataClassification>("data_classification");
  if (in.has("likelihood")) c.likelihood = in.integer("likelihood");
  if (in.has("impact")) c.impact = in.integer("impact");
  if (in.has("compensating_controls"))
    c.compensating_controls =
        in.controls("compensating_controls").value_or(std::vector<domain::CompensatingControl>{});
  if (in.has("start_on")) c.start_on = in.date("start_on");
  if (in.has("end_on")) c.end_on = in.date("end_on");
  if (in.has("links")) c.links = in.strings("links");
  if (auto r = in.refusal("the request is invalid")) return domain::refuse(*r);
  return {};
}

domain::Result<domain::SlotDecision> slot_decision_from(const json& body, const std::string& slot) {
  std::set<std::string> allowed{"decision", "comment"};
  if (slot == "compliance") allowed.insert({"implications", "frameworks"});
  if (slot == "owner") allowed.insert({"risk_level", "compensating_controls", "action_plan", "end_on"});
  BodyReader in(body, allowed);
  domain::SlotDecision d;
  auto decision = in.enumeration<domain::Decision>("decision");
  if (!decision && !in.has("decision"))
    in.errors().push_back({"decision", "is required: approve, reject or request_changes"});
  d.decision = decision.value_or(domain::Decision::approve);
  d.comment = in.text("comment");
  d.implications = in.enumeration<domain::Implications>("implications");
  d.frameworks = in.strings("frameworks");
  d.risk_level = in.enumeration<domain::RiskLevel>("risk_level");
  d.compensating_controls = in.controls("compensating_controls");
  d.action_plan = in.text("action_plan");
  d.end_on = in.date("end_on");
  if (auto r = in.refusal("the decision is invalid")) return domain::refuse(*r);
  return d;
}

}  // namespace waiver::app
