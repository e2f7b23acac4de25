#include "app/catalog.hpp"

#include <set>

#include "app/organisation_json.hpp"
#include "app/request_json.hpp"
#include "domain/validation.hpp"

namespace waiver::app {
namespace {

using domain::Actor;
using domain::Role;

Outcome<void> admin_only(const Actor& a, const char* what) {
  if (!a.has(Role::admin)) return fail(Error::Kind::forbidden, std::string("only admins change ") + what);
  return {};
}

AuditRecord event(const Actor& a, Instant at, const std::string& action, const std::string& entity_type,
                  const std::string& entity_id) {
  AuditRecord e;
  e.at = at;
  e.actor = a.email;
  e.action = action;
  e.entity_type = entity_type;
  e.entity_id = entity_id;
  return e;
}

}  // namespace

json policy_json(const domain::Policy& p) {
  return {{"id", p.id},
          {"title", p.title},
          {"kind", domain::to_string(p.kind)},
          {"owner", p.owner},
          {"maintainers", p.maintainers},
          {"reminder_days", p.reminder_days}};
}

Outcome<std::vector<json>> list_policies(Services& s, const Actor&) {
  auto uow = s.store.begin_read();
  std::vector<json> out;
  for (const auto& p : uow->organisation().policies) out.push_back(policy_json(p));
  return out;
}

Outcome<json> save_policy(Services& s, const Actor& a, const std::string& id, const json& body, bool create) {
  if (auto ok = admin_only(a, "the policy catalog"); !ok) return fail(ok.error());
  static const std::set<std::string> kFields{"title", "kind", "owner", "maintainers", "reminder_days"};
  domain::FieldErrors errors;
  for (const auto& [key, v] : body.items())
    if (!kFields.contains(key) && !(create && key == "id"))
      errors.push_back({key, key == "id" ? "cannot be changed" : "is not a policy field"});
  if (!errors.empty()) return fail(Error{Error::Kind::invalid, "the policy is invalid", errors});
  if (body.contains("title") && body.at("title").is_string()) {
    const auto title = body.at("title").get<std::string>();
    if (title.find_first_not_of(" \t") == std::string::npos) errors.push_back({"title", "is required"});
    domain::check_text(errors, "title", title, domain::kMaxTitle);
  }

  auto uow = s.store.begin_write();
  const std::string key =
      create ? (body.contains("id") && body.at("id").is_string() ? body.at("id").get<std::string>() : "")
             : id;
  auto current = key.empty() ? std::nullopt : uow->policy(key);
  if (create && current) return fail(Error::Kind::conflict, "the policy " + key + " already exists");
  if (!create && !current) return fail(Error::Kind::not_found, "no policy " + id);

  // A PATCH merges into the policy as it stands; null clears a list.
  json merged = current ? policy_json(*current) : json::object();
  for (const auto& [k, v] : body.items()) {
    if (v.is_null() && (k == "maintainers" || k == "reminder_days"))
      merged[k] = json::array();
    else
      merged[k] = v;
  }
  if (merged.contains("reminder_days") && merged.at("reminder_days").empty()) merged.erase("reminder_days");
  // The organisation file's checks, places named without the file's "policies.0." prefix.
  auto org = organisation_from_json({{"policies", json::array({merged})}}, uow->user_emails());
  if (!org)
    for (auto f : org.error().errors) {
      if (f.field.starts_with("policies.0.")) f.field = f.field.substr(11);
      errors.push_back(f);
    }
  if (!errors.empty()) return fail(Error{Error::Kind::invalid, "the policy is invalid", errors});
  const domain::Policy& p = org->policies.at(0);
  domain::Organisation change;
  change.policies.push_back(p);
  uow->import_organisation(change);
  auto e = event(a, s.clock.now(), create ? "policy_create" : "policy_update", "policy", p.id);
  if (current) e.before = policy_json(*current).dump();
  const json after = policy_json(p);
  e.after = after.dump();
  uow->append(e);
  uow->commit();
  return after;
}

Outcome<StoredMatrix> current_matrix(Services& s, const Actor&) {
  auto uow = s.store.begin_read();
  if (auto m = uow->matrix()) return *m;
  return StoredMatrix{};
}

Outcome<MatrixChange> replace_matrix(Services& s, const Actor& a, const json& document,
                                     std::optional<std::int64_t> if_version) {
  if (auto ok = admin_only(a, "the approval matrix"); !ok) return fail(ok.error());
  auto uow = s.store.begin_write();
  auto current = uow->matrix();
  const std::int64_t version = current ? current->version : 0;
  if (if_version && *if_version != version)
    return fail(Error::Kind::precondition_failed, "the matrix is at version " + std::to_string(version) +
                                                      ", not " + std::to_string(*if_version));
  auto m = matrix_document_from_json(document, uow->user_emails());
  if (!m) return fail(Error::from(m.error()));
  if (current && to_json(current->matrix) == to_json(*m)) return MatrixChange{*current, false};
  domain::Organisation change;
  change.matrix = *m;
  uow->import_organisation(change);
  auto stored = uow->matrix();
  auto e = event(a, s.clock.now(), "matrix_update", "matrix", std::to_string(stored->version));
  if (current) e.before = to_json(current->matrix).dump();
  e.after = to_json(stored->matrix).dump();
  e.data = json{{"version", stored->version}}.dump();
  uow->append(e);
  uow->commit();
  return MatrixChange{*stored, true};
}

}  // namespace waiver::app
