#include "app/request_import.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "app/request_json.hpp"
#include "app/request_text.hpp"
#include "domain/validation.hpp"

namespace waiver::app {
namespace {

using domain::ExceptionRequest;
using domain::Status;

constexpr std::size_t kMaxProblems = 1000;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// A list cell: a JSON array, or items separated by new lines or semicolons.
std::vector<std::string> items_of(const std::string& cell) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= cell.size()) {
    auto end = cell.find_first_of(";\n", start);
    if (end == std::string::npos) end = cell.size();
    if (auto item = trim(cell.substr(start, end - start)); !item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::optional<domain::Instant> instant_or_date(const std::string& text) {
  if (auto t = domain::parse_instant(text)) return t;
  if (auto d = domain::parse_date(text)) return domain::start_of(*d);
  return std::nullopt;
}

const std::set<Status>& importable() {
  static const std::set<Status> k{Status::draft,   Status::active,  Status::denied, Status::withdrawn,
                                  Status::expired, Status::revoked, Status::closed};
  return k;
}

}  // namespace

const std::vector<std::string>& import_columns() {
  static const std::vector<std::string> k{"title",
                                          "policy_id",
                                          "requester",
                                          "status",
                                          "requirement",
                                          "type",
                                          "data_classification",
                                          "description",
                                          "alternative",
                                          "justification",
                                          "resources",
                                          "scope",
                                          "likelihood",
                                          "impact",
                                          "compensating_controls",
                                          "start_on",
                                          "end_on",
                                          "links",
                                          "risk_level",
                                          "action_plan",
                                          "created_at",
                                          "decided_at",
                                          "source_ref"};
  return k;
}

struct RequestImport::State {
  Services& s;
  std::string actor, source;
  bool dry_run;
  std::unique_ptr<UnitOfWork> uow;
  std::vector<std::string> columns;
  std::map<std::string, std::optional<domain::User>> users;
  std::map<std::string, bool> policies;
  domain::Date today;
  Instant now;
};

RequestImport::RequestImport(Services& s, std::string actor, std::string source, bool dry_run)
    : st_(std::make_unique<State>(
          State{s, std::move(actor), std::move(source), dry_run, nullptr, {}, {}, {}, {}, {}})) {
  st_->now = s.clock.now();
  st_->today = domain::date_of(st_->now);
}

RequestImport::~RequestImport() = default;

Outcome<void> RequestImport::header(const std::vector<std::string>& columns) {
  const auto& known = import_columns();
  domain::FieldErrors errors;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::string c = trim(columns[i]);
    if (i == 0 && c.starts_with("\xEF\xBB\xBF")) c = c.substr(3);  // a byte order mark
    if (std::find(known.begin(), known.end(), c) == known.end())
      errors.push_back({"column " + std::to_string(i + 1), "'" + c + "' is not a field of a request"});
    else if (!seen.insert(c).second)
      errors.push_back({"column " + std::to_string(i + 1), "'" + c + "' appears twice"});
    st_->columns.push_back(c);
  }
  for (const char* required : {"title", "policy_id", "requester"})
    if (!seen.contains(required)) errors.push_back({required, "is a required column"});
  if (!errors.empty()) {
    for (const auto& e : errors) report_.problems.push_back({1, e.field, e.message});
    return fail(Error{Error::Kind::invalid, "the header is invalid", errors});
  }
  st_->uow = st_->s.store.begin_write();
  if (!st_->dry_run) st_->uow->expect_many_inserts();
  return {};
}

void RequestImport::row(const std::vector<std::string>& cells) {
  const long long line = ++report_.rows + 1;  // the header is row 1
  State& st = *st_;
  auto refuse = [&](const std::string& field, const std::string& message) {
    if (report_.problems.size() < kMaxProblems) report_.problems.push_back({line, field, message});
  };
  if (!st.uow) return refuse("", "the header was refused");
  if (cells.size() != st.columns.size())
    return refuse("", "has " + std::to_string(cells.size()) + " cells; the header has " +
                          std::to_string(st.columns.size()));
  std::map<std::string, std::string> cell;
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (auto v = trim(cells[i]); !v.empty()) cell[st.columns[i]] = v;
  const std::size_t before = report_.problems.size();
  for (const auto& [column, text] : cell)
    if (!is_valid_utf8(text)) refuse(column, "is not UTF-8 text (save the file as CSV UTF-8)");

  json content = json::object();
  for (const char* k : {"title", "policy_id", "requirement", "type", "data_classification", "description",
                        "alternative", "justification", "resources", "scope", "start_on", "end_on"})
    if (cell.contains(k)) content[k] = cell[k];
  for (const char* k : {"likelihood", "impact"})
    if (cell.contains(k)) {
      const auto& v = cell[k];
      if (v.size() <= 2 && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
        content[k] = std::stoi(v);
      else
        content[k] = v;  // refused below with the API's message
    }
  if (cell.contains("compensating_controls")) {
    const auto& v = cell["compensating_controls"];
    json list = json::array();
    if (v.starts_with("[")) {
      list = json::parse(v, nullptr, false);
      if (list.is_discarded()) list = v;  // refused below: not a list
    } else {
      for (const auto& d : items_of(v)) list.push_back({{"description", d}});
    }
    content["compensating_controls"] = list;
  }
  if (cell.contains("links")) content["links"] = items_of(cell["links"]);

  ExceptionRequest r;
  if (auto ok = apply_content(r.content, content); !ok)
    for (const auto& e : ok.error().errors) refuse(e.field, e.message);
  for (const auto& e : domain::validate_draft(r.content)) refuse(e.field, e.message);

  const std::string requester = cell.contains("requester") ? cell["requester"] : "";
  auto [u, fresh] = st.users.try_emplace(requester);
  if (fresh && !requester.empty()) u->second = st.uow->user(requester);
  if (requester.empty())
    refuse("requester", "is required");
  else if (!u->second)
    refuse("requester", "is not a known user");
  if (!r.content.policy_id.empty()) {
    auto [p, new_policy] = st.policies.try_emplace(r.content.policy_id, false);
    if (new_policy) p->second = st.uow->policy(r.content.policy_id).has_value();
    if (!p->second) refuse("policy_id", "is not a policy of the catalog");
  }

  r.status = Status::active;
  if (cell.contains("status")) {
    auto st_value = domain::from_string<Status>(cell["status"]);
    if (!st_value || !importable().contains(*st_value))
      refuse("status", "must be one of draft, active, denied, withdrawn, expired, revoked, closed");
    else
      r.status = *st_value;
  }
  if (cell.contains("risk_level")) {
    r.risk_level = domain::from_string<domain::RiskLevel>(cell["risk_level"]);
    if (!r.risk_level) refuse("risk_level", "must be one of " + domain::allowed_values<domain::RiskLevel>());
  }
  if (cell.contains("action_plan")) r.action_plan = cell["action_plan"];
  const bool decided_in_force = r.status == Status::active || r.status == Status::expired ||
                                r.status == Status::revoked || r.status == Status::closed;
  if (decided_in_force) {
    if (!r.content.end_on) refuse("end_on", "is required for an approved exception");
    if (!r.risk_level && !cell.contains("risk_level"))
      refuse("risk_level", "is required for an approved exception");
    if (r.content.compensating_controls.empty())
      refuse("compensating_controls", "an approved exception needs at least one");
    r.decision_end_on = r.content.end_on;
    if (r.status == Status::active && r.content.end_on && *r.content.end_on < st.today)
      refuse("end_on", "is before today: import it with status expired");
  }
  r.created_at = st.now;
  if (cell.contains("created_at")) {
    if (auto t = instant_or_date(cell["created_at"]))
      r.created_at = *t;
    else
      refuse("created_at", "must be a date (2024-03-01) or an instant (2024-03-01T09:00:00Z)");
  }
  if (cell.contains("decided_at")) {
    if (auto t = instant_or_date(cell["decided_at"]))
      r.decided_at = *t;
    else
      refuse("decided_at", "must be a date (2024-03-01) or an instant (2024-03-01T09:00:00Z)");
  } else if (r.status != Status::draft && r.status != Status::withdrawn) {
    r.decided_at = r.created_at;
  }
  if (r.status == Status::denied) r.denied_at = r.decided_at;
  if (report_.problems.size() != before || !report_.problems.empty())
    return;  // nothing is written after a refusal
  if (st.dry_run) return;

  r.requester = requester;
  r.requester_name = u->second->name;
  r.department = u->second->department;
  r.updated_at = st.now;
  st.uow->insert(r);
  AuditRecord e;
  e.at = st.now;
  e.actor = st.actor;
  e.action = "import";
  e.entity_type = "exception";
  e.entity_id = std::to_string(r.id);
  e.ref = r.ref;
  append_json(e.after, r);
  json data{{"source", st.source}, {"row", line}};
  if (cell.contains("source_ref")) data["source_ref"] = cell["source_ref"];
  e.data = data.dump();
  st.uow->append(e);
  ++report_.imported;
}

ImportReport RequestImport::finish() {
  if (report_.rows == 0 && report_.problems.empty())
    report_.problems.push_back({0, "", "the file has no rows"});
  if (st_->uow && report_.problems.empty() && !st_->dry_run) {
    st_->uow->commit();
    report_.committed = true;
  } else {
    report_.imported = 0;
  }
  st_->uow.reset();  // rolls back what was not committed
  return report_;
}

}  // namespace waiver::app
