#include "app/organisation_json.hpp"

#include <algorithm>
#include <regex>
#include <set>

namespace waiver::app {
namespace {

using domain::FieldErrors;
using nlohmann::json;

std::string str(const json& j, const char* key, FieldErrors& errors, const std::string& at, bool required) {
  if (!j.contains(key) || j.at(key).is_null()) {
    if (required) errors.push_back({at + "." + key, "is required"});
    return {};
  }
  if (!j.at(key).is_string()) {
    errors.push_back({at + "." + key, "must be a string"});
    return {};
  }
  return j.at(key).get<std::string>();
}

// A value or a list of values, each one of the enum's names.
template <typename E>
std::vector<E> enum_list(const json& j, const std::string& at, FieldErrors& errors) {
  std::vector<E> out;
  const json list = j.is_array() ? j : json::array({j});
  for (const auto& v : list) {
    auto e = v.is_string() ? domain::from_string<E>(v.get<std::string>()) : std::nullopt;
    if (!e)
      errors.push_back({at, "must be one of: " + domain::allowed_values<E>()});
    else
      out.push_back(*e);
  }
  return out;
}

std::vector<std::string> string_list(const json& j, const std::string& at, FieldErrors& errors) {
  std::vector<std::string> out;
  const json list = j.is_array() ? j : json::array({j});
  for (const auto& v : list) {
    if (!v.is_string())
      errors.push_back({at, "must be a string or a list of strings"});
    else
      out.push_back(v.get<std::string>());
  }
  return out;
}

bool looks_like_email(const std::string& s) {
  static const std::regex kEmail(R"(^[^@\s]+@[^@\s]+$)");
  return s.size() <= 254 && std::regex_match(s, kEmail);
}

// A slot given to a user must name someone known.
FieldErrors matrix_user_errors(const domain::Matrix& m, const std::set<std::string>& users,
                               const std::string& at) {
  FieldErrors errors;
  for (std::size_t i = 0; i < m.rules.size(); ++i)
    for (std::size_t k = 0; k < m.rules[i].require.size(); ++k) {
      const auto& s = m.rules[i].require[k];
      if (!s.user.empty() && !users.contains(s.user))
        errors.push_back({at + ".rules." + std::to_string(i) + ".require." + std::to_string(k) + ".user",
                          "is not a known user"});
    }
  return errors;
}

}  // namespace

domain::Result<domain::Matrix> matrix_document_from_json(const json& j,
                                                         const std::vector<std::string>& known_users) {
  auto m = matrix_from_json(j, "matrix");
  FieldErrors errors =
      m ? matrix_user_errors(*m, {known_users.begin(), known_users.end()}, "matrix") : m.error().errors;
  if (errors.empty()) return m;
  // Places relative to the document: rules.2.when.type; the document itself is "matrix".
  for (auto& e : errors)
    if (e.field.starts_with("matrix.")) e.field = e.field.substr(7);
  return domain::refuse(domain::Refusal::invalid("the matrix is invalid", errors));
}

domain::Result<domain::Matrix> matrix_from_json(const json& j, const std::string& at) {
  FieldErrors errors;
  domain::Matrix m;
  if (!j.is_object()) return domain::refuse(domain::Refusal::invalid(at, "must be a mapping"));
  for (const auto& [key, v] : j.items())
    if (key != "default" && key != "rules") errors.push_back({at + "." + key, "is not a matrix key"});
  if (j.contains("default")) {
    const auto& d = j.at("default");
    if (!d.is_object()) {
      errors.push_back({at + ".default", "must be a mapping"});
    } else {
      if (d.contains("first_approval")) {
        auto v =
            enum_list<domain::FirstApproval>(d.at("first_approval"), at + ".default.first_approval", errors);
        if (!v.empty()) m.first_approval = v.front();
      }
      if (d.contains("max_days")) {
        if (d.at("max_days").is_number_integer())
          m.max_days = d.at("max_days").get<int>();
        else
          errors.push_back({at + ".default.max_days", "must be an integer"});
      }
    }
  }
  if (j.contains("rules")) {
    if (!j.at("rules").is_array())
      errors.push_back({at + ".rules", "must be a list"});
    else
      for (std::size_t i = 0; i < j.at("rules").size(); ++i) {
        const auto& r = j.at("rules")[i];
        const std::string rat = at + ".rules." + std::to_string(i);
        domain::MatrixRule rule;
        if (!r.is_object()) {
          errors.push_back({rat, "must be a mapping with when, set and/or require"});
          continue;
        }
        for (const auto& [key, v] : r.items())
          if (key != "when" && key != "set" && key != "require")
            errors.push_back({rat + "." + key, "is not a rule key (when, set, require)"});
        if (r.contains("when")) {
          const auto& w = r.at("when");
          if (!w.is_object())
            errors.push_back({rat + ".when", "must be a mapping"});
          else
            for (const auto& [key, v] : w.items()) {
              const std::string wat = rat + ".when." + key;
              if (key == "type")
                rule.when.type = enum_list<domain::ExceptionType>(v, wat, errors);
              else if (key == "policy")
                rule.when.policy = string_list(v, wat, errors);
              else if (key == "data_classification")
                rule.when.data_classification = enum_list<domain::DataClassification>(v, wat, errors);
              else if (key == "kind")
                rule.when.kind = enum_list<domain::PolicyKind>(v, wat, errors);
              else
                errors.push_back({wat, "is not a condition (type, policy, data_classification, kind)"});
            }
        }
        if (r.contains("set")) {
          const auto& s = r.at("set");
          if (!s.is_object())
            errors.push_back({rat + ".set", "must be a mapping"});
          else
            for (const auto& [key, v] : s.items()) {
              if (key == "first_approval") {
                auto fa = enum_list<domain::FirstApproval>(v, rat + ".set.first_approval", errors);
                if (!fa.empty()) rule.first_approval = fa.front();
              } else if (key == "max_days") {
                if (v.is_number_integer())
                  rule.max_days = v.get<int>();
                else
                  errors.push_back({rat + ".set.max_days", "must be an integer"});
              } else {
                errors.push_back({rat + ".set." + key, "is not a setting (first_approval, max_days)"});
              }
            }
        }
        if (r.contains("require")) {
          const auto& req = r.at("require");
          if (!req.is_array())
            errors.push_back({rat + ".require", "must be a list"});
          else
            for (std::size_t k = 0; k < req.size(); ++k) {
              const std::string sat = rat + ".require." + std::to_string(k);
              if (!req[k].is_object()) {
                errors.push_back({sat, "must be {slot, role} or {slot, user}"});
                continue;
              }
              domain::RequiredSlot slot;
              slot.slot = str(req[k], "slot", errors, sat, true);
              auto role = str(req[k], "role", errors, sat, false);
              if (!role.empty()) {
                slot.role = domain::from_string<domain::Role>(role);
                if (!slot.role)
                  errors.push_back(
                      {sat + ".role", "must be one of: " + domain::allowed_values<domain::Role>()});
              }
              slot.user = str(req[k], "user", errors, sat, false);
              if (!slot.role && slot.user.empty() && role.empty())
                errors.push_back({sat, "needs exactly one of role or user"});
              rule.require.push_back(slot);
            }
        }
        m.rules.push_back(std::move(rule));
      }
  }
  if (errors.empty())
    for (auto& e : domain::validate(m)) {
      if (e.field.starts_with("matrix")) e.field = at + e.field.substr(6);
      errors.push_back(e);
    }
  if (!errors.empty()) return domain::refuse(domain::Refusal::invalid("the matrix is invalid", errors));
  return m;
}

json to_json(const domain::Matrix& m) {
  json rules = json::array();
  for (const auto& r : m.rules) {
    json when = json::object();
    auto names = [](const auto& list) {
      json out = json::array();
      for (const auto& v : list) out.push_back(std::string(domain::to_string(v)));
      return out;
    };
    if (!r.when.type.empty()) when["type"] = names(r.when.type);
    if (!r.when.policy.empty()) when["policy"] = r.when.policy;
    if (!r.when.data_classification.empty()) when["data_classification"] = names(r.when.data_classification);
    if (!r.when.kind.empty()) when["kind"] = names(r.when.kind);
    json rule{{"when", when}};
    json set = json::object();
    if (r.first_approval) set["first_approval"] = domain::to_string(*r.first_approval);
    if (r.max_days) set["max_days"] = *r.max_days;
    if (!set.empty()) rule["set"] = set;
    if (!r.require.empty()) {
      json req = json::array();
      for (const auto& s : r.require) {
        json x{{"slot", s.slot}};
        if (s.role)
          x["role"] = domain::to_string(*s.role);
        else
          x["user"] = s.user;
        req.push_back(x);
      }
      rule["require"] = req;
    }
    rules.push_back(rule);
  }
  return {{"default", {{"first_approval", domain::to_string(m.first_approval)}, {"max_days", m.max_days}}},
          {"rules", rules}};
}

domain::Result<domain::Organisation> organisation_from_json(const json& j,
                                                            const std::vector<std::string>& known_users) {
  FieldErrors errors;
  domain::Organisation org;
  if (!j.is_object())
    return domain::refuse(domain::Refusal::invalid("organisation", "the file must be a mapping"));
  for (const auto& [key, v] : j.items())
    if (key != "users" && key != "departments" && key != "policies" && key != "matrix")
      errors.push_back({key, "is not a section of the organisation file"});
  std::set<std::string> users(known_users.begin(), known_users.end());
  std::set<std::string> seen;
  auto list = [&](const char* key) -> json {
    if (!j.contains(key) || j.at(key).is_null()) return json::array();
    if (!j.at(key).is_array()) {
      errors.push_back({key, "must be a list"});
      return json::array();
    }
    return j.at(key);
  };
  const json juser = list("users");
  for (std::size_t i = 0; i < juser.size(); ++i) {
    const std::string at = "users." + std::to_string(i);
    const auto& u = juser[i];
    if (!u.is_object()) {
      errors.push_back({at, "must be a mapping"});
      continue;
    }
    domain::User user;
    user.email = str(u, "email", errors, at, true);
    user.name = str(u, "name", errors, at, true);
    user.department = str(u, "department", errors, at, false);
    if (!user.email.empty() && !looks_like_email(user.email))
      errors.push_back({at + ".email", "is not an email address"});
    if (!seen.insert(user.email).second) errors.push_back({at + ".email", "appears twice"});
    if (u.contains("roles"))
      for (auto r : enum_list<domain::Role>(u.at("roles"), at + ".roles", errors)) user.roles.insert(r);
    for (const auto& [key, v] : u.items())
      if (key != "email" && key != "name" && key != "department" && key != "roles")
        errors.push_back({at + "." + key, "is not a user field"});
    users.insert(user.email);
    org.users.push_back(std::move(user));
  }
  const json jdep = list("departments");
  for (std::size_t i = 0; i < jdep.size(); ++i) {
    const std::string at = "departments." + std::to_string(i);
    if (!jdep[i].is_object()) {
      errors.push_back({at, "must be a mapping"});
      continue;
    }
    domain::Department d;
    d.name = str(jdep[i], "name", errors, at, true);
    d.head = str(jdep[i], "head", errors, at, false);
    if (!d.head.empty() && !users.contains(d.head)) errors.push_back({at + ".head", "is not a known user"});
    org.departments.push_back(std::move(d));
  }
  static const std::regex kSlug("^[a-z0-9][a-z0-9-]{0,79}$");
  const json jpol = list("policies");
  for (std::size_t i = 0; i < jpol.size(); ++i) {
    const std::string at = "policies." + std::to_string(i);
    const auto& p = jpol[i];
    if (!p.is_object()) {
      errors.push_back({at, "must be a mapping"});
      continue;
    }
    domain::Policy pol;
    pol.id = str(p, "id", errors, at, true);
    if (!pol.id.empty() && !std::regex_match(pol.id, kSlug))
      errors.push_back({at + ".id", "must be a slug: lower case letters, digits and -"});
    pol.title = str(p, "title", errors, at, true);
    if (p.contains("kind")) {
      auto k = enum_list<domain::PolicyKind>(p.at("kind"), at + ".kind", errors);
      if (!k.empty()) pol.kind = k.front();
    }
    pol.owner = str(p, "owner", errors, at, true);
    if (!pol.owner.empty() && !users.contains(pol.owner))
      errors.push_back({at + ".owner", "is not a known user"});
    if (p.contains("maintainers"))
      pol.maintainers = string_list(p.at("maintainers"), at + ".maintainers", errors);
    for (std::size_t k = 0; k < pol.maintainers.size(); ++k)
      if (!users.contains(pol.maintainers[k]))
        errors.push_back({at + ".maintainers." + std::to_string(k), "is not a known user"});
    if (p.contains("reminder_days")) {
      const auto& days = p.at("reminder_days");
      if (!days.is_array() || days.size() > 10)
        errors.push_back({at + ".reminder_days", "must be a list of at most 10 numbers of days"});
      else
        for (std::size_t k = 0; k < days.size(); ++k) {
          if (!days[k].is_number_integer() || days[k].get<long long>() < 1 || days[k].get<long long>() > 366)
            errors.push_back(
                {at + ".reminder_days." + std::to_string(k), "must be a whole number from 1 to 366"});
          else
            pol.reminder_days.push_back(days[k].get<int>());
        }
    }
    org.policies.push_back(std::move(pol));
  }
  if (j.contains("matrix") && !j.at("matrix").is_null()) {
    auto m = matrix_from_json(j.at("matrix"));
    if (!m)
      errors.insert(errors.end(), m.error().errors.begin(), m.error().errors.end());
    else {
      auto slots = matrix_user_errors(*m, users, "matrix");
      errors.insert(errors.end(), slots.begin(), slots.end());
      org.matrix = *m;
    }
  }
  if (!errors.empty())
    return domain::refuse(domain::Refusal::invalid("the organisation file is invalid", errors));
  return org;
}

json to_json(const domain::Organisation& org) {
  json users = json::array();
  for (const auto& u : org.users) {
    json x{{"email", u.email}, {"name", u.name}};
    if (!u.department.empty()) x["department"] = u.department;
    if (!u.roles.empty()) {
      json roles = json::array();
      for (auto r : u.roles) roles.push_back(std::string(domain::to_string(r)));
      x["roles"] = roles;
    }
    users.push_back(x);
  }
  json deps = json::array();
  for (const auto& d : org.departments) {
    json x{{"name", d.name}};
    if (!d.head.empty()) x["head"] = d.head;
    deps.push_back(x);
  }
  json pols = json::array();
  for (const auto& p : org.policies) {
    json x{{"id", p.id},
           {"title", p.title},
           {"kind", domain::to_string(p.kind)},
           {"owner", p.owner},
           {"maintainers", p.maintainers}};
    if (!p.reminder_days.empty()) x["reminder_days"] = p.reminder_days;
    pols.push_back(x);
  }
  json out{{"users", users}, {"departments", deps}, {"policies", pols}};
  if (org.matrix) out["matrix"] = to_json(*org.matrix);
  return out;
}

}  // namespace waiver::app
