#include "store/exception_rows.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

#include "app/request_json.hpp"
#include "store/soci_types.hpp"

namespace waiver::store {
namespace {

using nlohmann::json;

template <typename E>
std::optional<std::string> opt_enum(const std::optional<E>& e) {
  return e ? std::optional<std::string>(std::string(domain::to_string(*e))) : std::nullopt;
}
std::optional<std::string> opt_date(const std::optional<domain::Date>& d) {
  return d ? std::optional<std::string>(domain::format_date(*d)) : std::nullopt;
}
std::optional<std::string> opt_instant(const std::optional<domain::Instant>& t) {
  return t ? std::optional<std::string>(domain::format_instant(*t)) : std::nullopt;
}
std::optional<std::string> opt_nonempty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}
template <typename E>
std::optional<E> enum_of(const std::optional<std::string>& t) {
  return t ? domain::from_string<E>(*t) : std::nullopt;
}
std::optional<domain::Date> date_of(const std::optional<std::string>& t) {
  return t ? domain::parse_date(*t) : std::nullopt;
}
std::optional<domain::Instant> instant_of(const std::optional<std::string>& t) {
  return t ? domain::parse_instant(*t) : std::nullopt;
}
json json_of(const std::string& t) {
  // Most rows have no appeal, invitations or frameworks: no parser for those.
  if (t.empty() || t == "[]" || t == "{}" || t == "null") return json();
  return json::parse(t);
}
json json_of(const std::optional<std::string>& t) { return t ? json_of(*t) : json(); }

}  // namespace

ExceptionRow to_row(const domain::ExceptionRequest& r) {
  const auto& c = r.content;
  ExceptionRow row;
  row.ref = r.ref;
  row.status = domain::to_string(r.status);
  row.requester_email = r.requester;
  row.department = opt_nonempty(r.department);
  row.policy_id = c.policy_id;
  row.title = c.title;
  row.requirement = c.requirement;
  row.type = opt_enum(c.type);
  row.data_classification = opt_enum(c.data_classification);
  row.description = c.description;
  row.alternative = c.alternative;
  row.justification = c.justification;
  row.resources = c.resources;
  row.scope = c.scope;
  if (c.likelihood) row.likelihood = *c.likelihood;
  if (c.impact) row.impact = *c.impact;
  json controls = json::array();
  for (const auto& x : c.compensating_controls) controls.push_back(app::to_json(x));
  row.controls_json = controls.dump();
  row.start_on = opt_date(c.start_on);
  row.end_on = opt_date(c.end_on);
  row.links_json = json(c.links).dump();
  row.max_days = r.max_days;
  row.matrix_version = r.matrix_version;
  json approvals = json::array();
  for (const auto& s : r.approvals) approvals.push_back(app::to_json(s));
  row.approvals_json = approvals.dump();
  row.implications = opt_enum(r.implications);
  row.frameworks_json = json(r.frameworks).dump();
  row.risk_level = opt_enum(r.risk_level);
  row.decision_end_on = opt_date(r.decision_end_on);
  row.action_plan = r.action_plan;
  if (r.appeal.at) row.appeal_json = app::to_json(r.appeal).dump();
  json invitations = json::array();
  for (const auto& i : r.invitations) invitations.push_back(app::to_json(i));
  row.invitations_json = invitations.dump();
  row.closed_reason = r.closed_reason;
  if (r.parent_id) row.parent_id = *r.parent_id;
  row.version = r.version;
  row.created_at = domain::format_instant(r.created_at);
  row.updated_at = domain::format_instant(r.updated_at);
  row.submitted_at = opt_instant(r.submitted_at);
  row.decided_at = opt_instant(r.decided_at);
  row.denied_at = opt_instant(r.denied_at);
  return row;
}

namespace {

// Calls f(name, a's field, b's field) for each writable column, in one order for INSERT, UPDATE
// and the comparison of two rows.
template <typename Row, typename F>
void each_column(Row& a, Row& b, F&& f) {
  f("ref", a.ref, b.ref);
  f("status", a.status, b.status);
  f("requester_email", a.requester_email, b.requester_email);
  f("department", a.department, b.department);
  f("policy_id", a.policy_id, b.policy_id);
  f("title", a.title, b.title);
  f("requirement", a.requirement, b.requirement);
  f("type", a.type, b.type);
  f("data_classification", a.data_classification, b.data_classification);
  f("description", a.description, b.description);
  f("alternative", a.alternative, b.alternative);
  f("justification", a.justification, b.justification);
  f("resources", a.resources, b.resources);
  f("scope", a.scope, b.scope);
  f("likelihood", a.likelihood, b.likelihood);
  f("impact", a.impact, b.impact);
  f("controls_json", a.controls_json, b.controls_json);
  f("start_on", a.start_on, b.start_on);
  f("end_on", a.end_on, b.end_on);
  f("links_json", a.links_json, b.links_json);
  f("max_days", a.max_days, b.max_days);
  f("matrix_version", a.matrix_version, b.matrix_version);
  f("approvals_json", a.approvals_json, b.approvals_json);
  f("implications", a.implications, b.implications);
  f("frameworks_json", a.frameworks_json, b.frameworks_json);
  f("risk_level", a.risk_level, b.risk_level);
  f("decision_end_on", a.decision_end_on, b.decision_end_on);
  f("action_plan", a.action_plan, b.action_plan);
  f("appeal_json", a.appeal_json, b.appeal_json);
  f("invitations_json", a.invitations_json, b.invitations_json);
  f("closed_reason", a.closed_reason, b.closed_reason);
  f("parent_id", a.parent_id, b.parent_id);
  f("version", a.version, b.version);
  f("created_at", a.created_at, b.created_at);
  f("updated_at", a.updated_at, b.updated_at);
  f("submitted_at", a.submitted_at, b.submitted_at);
  f("decided_at", a.decided_at, b.decided_at);
  f("denied_at", a.denied_at, b.denied_at);
}

// The bit of the `version` column, which every update writes.
std::uint64_t version_bit() {
  static const std::uint64_t kBit = [] {
    ExceptionRow row;
    std::uint64_t bit = 1, found = 0;
    each_column(row, row, [&](const char* name, auto&, auto&) {
      if (std::string_view(name) == "version") found = bit;
      bit <<= 1;
    });
    return found;
  }();
  return kBit;
}

}  // namespace

void bind_row(soci::details::prepare_temp_type& p, ExceptionRow& w, std::uint64_t only) {
  std::uint64_t bit = 1;
  each_column(w, w, [&](const char* name, auto& field, auto&) {
    if (only & bit) p, soci::use(field, name);
    bit <<= 1;
  });
}

std::uint64_t changed_columns(const ExceptionRow& now, const ExceptionRow& before) {
  std::uint64_t bit = 1, changed = version_bit();
  each_column(now, before, [&](const char*, const auto& x, const auto& y) {
    if (x != y) changed |= bit;
    bit <<= 1;
  });
  return changed;
}

const std::string& insert_exception_sql(bool returning_id) {
  static const std::string kSql = [] {
    std::string names, values;
    ExceptionRow row;
    each_column(row, row, [&](const char* c, auto&, auto&) {
      names += (names.empty() ? "" : ", ") + std::string(c);
      values += (values.empty() ? ":" : ", :") + std::string(c);
    });
    return "INSERT INTO exceptions (" + names + ") VALUES (" + values + ")";
  }();
  static const std::string kReturning = kSql + " RETURNING id";
  return returning_id ? kReturning : kSql;
}

std::string update_exception_sql(std::uint64_t changed) {
  std::string sets;
  std::uint64_t bit = 1;
  ExceptionRow row;
  each_column(row, row, [&](const char* c, auto&, auto&) {
    if (changed & bit) sets += (sets.empty() ? "" : ", ") + std::string(c) + " = :" + c;
    bit <<= 1;
  });
  return "UPDATE exceptions SET " + sets + " WHERE id = :id AND version = :previous";
}

namespace {

// The columns bind_request_row reads, in its order.
std::string request_columns(const Dialect& d) {
  static const std::string kColumns = [] {
    std::string out = "e.id";
    ExceptionRow row;
    each_column(row, row, [&](const char* c, auto&, auto&) { out += ", e." + std::string(c); });
    return out + ", u.name AS requester_name";
  }();
  return kColumns + ", (SELECT " + d.id_list +
         " FROM exceptions x WHERE x.parent_id = e.id) AS extension_ids";
}

}  // namespace

void bind_request_row(soci::details::prepare_temp_type& p, RequestRow& out) {
  p, soci::into(out.id);
  each_column(out.row, out.row, [&](const char*, auto& field, auto&) { p, soci::into(field); });
  p, soci::into(out.requester_name), soci::into(out.extension_ids);
}

std::string select_exceptions(const Dialect& d, std::string_view more_columns) {
  return "SELECT " + request_columns(d) +
         (more_columns.empty() ? std::string() : ", " + std::string(more_columns)) +
         " FROM exceptions e JOIN users u ON u.email = e.requester_email";
}

namespace {

// The same rows, from the full-text index first (SQLite): CROSS JOIN keeps that order of the loops.
std::string select_exceptions_matching(const Dialect& d) {
  return "SELECT " + request_columns(d) +
         " FROM exceptions_search CROSS JOIN exceptions e ON e.id = exceptions_search.rowid "
         "JOIN users u ON u.email = e.requester_email";
}

bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// The FTS5 query of a search: q as one phrase whose last word is a prefix, cut to the 6 characters
// that have a prefix index (migration 8); the literal check on the rows found does the rest.
std::string search_phrase(const std::string& q) {
  std::size_t end = q.size();
  while (end > 0 && !word_byte(static_cast<unsigned char>(q[end - 1]))) --end;
  std::size_t begin = end;
  while (begin > 0 && word_byte(static_cast<unsigned char>(q[begin - 1]))) --begin;
  std::size_t cut = begin, characters = 0;
  while (cut < end && characters <= 6) {
    if ((static_cast<unsigned char>(q[cut]) & 0xC0) != 0x80 && ++characters > 6) break;
    ++cut;
  }
  std::string phrase = "\"";
  for (std::size_t i = 0; i < cut; ++i) phrase += q[i] == '"' ? std::string("\"\"") : std::string(1, q[i]);
  return phrase + "\"*";
}

}  // namespace

domain::ExceptionRequest request_from(RequestRow& rr) {
  ExceptionRow& r = rr.row;
  domain::ExceptionRequest x;
  x.id = rr.id;
  x.ref = std::move(r.ref);
  x.status = domain::from_string<domain::Status>(r.status).value_or(domain::Status::draft);
  x.requester = std::move(r.requester_email);
  x.requester_name = rr.requester_name.value_or("");
  x.department = r.department.value_or("");
  auto& c = x.content;
  c.title = std::move(r.title);
  c.policy_id = std::move(r.policy_id);
  c.requirement = std::move(r.requirement);
  c.type = enum_of<domain::ExceptionType>(r.type);
  c.data_classification = enum_of<domain::DataClassification>(r.data_classification);
  c.description = std::move(r.description);
  c.alternative = std::move(r.alternative);
  c.justification = std::move(r.justification);
  c.resources = std::move(r.resources);
  c.scope = std::move(r.scope);
  if (r.likelihood) c.likelihood = static_cast<int>(*r.likelihood);
  if (r.impact) c.impact = static_cast<int>(*r.impact);
  c.compensating_controls = app::controls_from_text(r.controls_json);
  c.start_on = date_of(r.start_on);
  c.end_on = date_of(r.end_on);
  for (const auto& l : json_of(r.links_json)) c.links.push_back(l.get<std::string>());
  x.max_days = static_cast<int>(r.max_days);
  x.matrix_version = r.matrix_version;
  x.approvals = app::approvals_from_json(json_of(r.approvals_json));
  x.implications = enum_of<domain::Implications>(r.implications);
  for (const auto& f : json_of(r.frameworks_json)) x.frameworks.push_back(f.get<std::string>());
  x.risk_level = enum_of<domain::RiskLevel>(r.risk_level);
  x.decision_end_on = date_of(r.decision_end_on);
  x.action_plan = std::move(r.action_plan);
  x.appeal = app::appeal_from_json(json_of(r.appeal_json));
  x.invitations = app::invitations_from_json(json_of(r.invitations_json));
  x.closed_reason = std::move(r.closed_reason);
  x.parent_id = r.parent_id;
  if (rr.extension_ids)
    for (const auto& id : split_commas(*rr.extension_ids)) x.extension_ids.push_back(std::stoll(id));
  std::sort(x.extension_ids.begin(), x.extension_ids.end());  // group_concat has no order
  x.version = r.version;
  x.created_at = domain::parse_instant(r.created_at).value_or(domain::Instant{});
  x.updated_at = domain::parse_instant(r.updated_at).value_or(domain::Instant{});
  x.submitted_at = instant_of(r.submitted_at);
  x.decided_at = instant_of(r.decided_at);
  x.denied_at = instant_of(r.denied_at);
  return x;
}

app::AuditEvent event_from_row(const soci::row& r) {
  app::AuditEvent e;
  e.id = *int_at(r, "id");
  e.record.at = domain::parse_instant(text_at(r, "at")).value_or(domain::Instant{});
  e.record.actor = text_at(r, "actor");
  e.record.action = text_at(r, "action");
  e.record.entity_type = text_at(r, "entity_type");
  e.record.entity_id = text_at(r, "entity_id");
  e.record.ref = text_at(r, "ref");
  e.record.before = text_at(r, "before");
  e.record.after = text_at(r, "after");
  e.record.data = text_at(r, "data");
  e.prev_hash = text_at(r, "prev_hash");
  e.hash = text_at(r, "hash");
  return e;
}

std::string sort_expression(const std::string& sort) {
  // Each one is the SQL of app::sort_key, and the expression of an index (migration 5).
  if (sort == "risk_level")
    return "(CASE e.risk_level WHEN 'low' THEN '1' WHEN 'medium' THEN '2' WHEN 'high' THEN '3' "
           "WHEN 'critical' THEN '4' ELSE '0' END)";
  if (sort == "end_on") return "COALESCE(e.decision_end_on, e.end_on, '')";
  if (sort == "submitted_at") return "COALESCE(e.submitted_at, '')";
  for (const char* column : app::kSortColumns)
    if (sort == column) return "e." + sort;
  throw std::invalid_argument("not a sort column: " + sort);
}

ListQuery list_query(const app::ListFilter& f, const domain::Actor& reader, const Dialect& d) {
  ListQuery q;
  std::string where;
  auto add = [&](const std::string& clause) { where += (where.empty() ? " WHERE " : " AND ") + clause; };
  auto bind = [&](const std::string& name, const std::string& value) {
    q.names.push_back(name);
    q.values.push_back(value);
  };
  if (!f.status.empty()) {
    std::string in;
    for (std::size_t i = 0; i < f.status.size(); ++i) {
      const std::string name = "s" + std::to_string(i);
      in += (in.empty() ? ":" : ", :") + name;
      bind(name, std::string(domain::to_string(f.status[i])));
    }
    add("e.status IN (" + in + ")");
  }
  if (!f.policy.empty()) {
    add("e.policy_id = :policy");
    bind("policy", f.policy);
  }
  if (!f.department.empty()) {
    add("e.department = :department");
    bind("department", f.department);
  }
  if (!f.requester.empty()) {
    add("e.requester_email = :requester");
    bind("requester", f.requester);
  }
  if (f.risk_level) {
    add("e.risk_level = :risk");
    bind("risk", std::string(domain::to_string(*f.risk_level)));
  }
  if (f.ends_by) {
    add("e.status = 'active' AND e.decision_end_on <= :ends_by");
    bind("ends_by", domain::format_date(*f.ends_by));
  }
  // Text search: the text of q, case-insensitive, in the reference, title, requirement or
  // description. PostgreSQL reads the trigram index of its migration 8 for any substring. SQLite
  // reads the full-text index of its migration 8 for the rows where q begins at a word (q as one
  // phrase, its last word a prefix), then checks the literal text on those rows only.
  const bool full_text = !f.q.empty() && !d.postgresql && std::any_of(f.q.begin(), f.q.end(), word_byte);
  if (!f.q.empty()) {
    std::string escaped;
    for (char ch : f.q) {
      if (ch == '%' || ch == '_' || ch == '\\') escaped += '\\';
      escaped += ch;
    }
    if (d.postgresql) {
      add("(e.ref || ' ' || e.title || ' ' || e.requirement || ' ' || e.description) ILIKE :q ESCAPE '\\'");
      bind("q", "%" + escaped + "%");
    } else {
      if (full_text) {
        add("exceptions_search MATCH :q");
        bind("q", search_phrase(f.q));
      }
      std::string any;  // each placeholder appears once
      for (const char* column : {"ref", "title", "requirement", "description"}) {
        const std::string name = std::string("q_") + column;
        any += (any.empty() ? "(" : " OR ") + std::string("e.") + column + " LIKE :" + name + " ESCAPE '\\'";
        bind(name, "%" + escaped + "%");
      }
      add(any + ")");
    }
  }
  const bool sees_all = reader.has(domain::Role::security_compliance) || reader.has(domain::Role::legal) ||
                        reader.has(domain::Role::ceo) || reader.has(domain::Role::cfo) ||
                        reader.has(domain::Role::auditor) || reader.has(domain::Role::admin);
  if (!sees_all) {
    add("(EXISTS (SELECT 1 FROM exception_access a WHERE a.exception_id = e.id AND a.email = :me1) "
        "OR e.department IN (SELECT name FROM departments WHERE head_email = :me2) "
        "OR e.policy_id IN (SELECT id FROM policies WHERE owner_email = :me3) "
        "OR e.policy_id IN (SELECT policy_id FROM policy_maintainers WHERE email = :me4))");
    for (const char* name : {"me1", "me2", "me3", "me4"}) bind(name, reader.email);
  }
  if (!f.sort.empty()) {
    // Keyset paging on (key, id): the rows after the cursor's, in the order asked for.
    const std::string key = sort_expression(f.sort);
    const char* beyond = f.ascending ? ">" : "<";
    if (f.after_key && f.after_id) {
      add("(" + key + " " + beyond + " :after_key1 OR (" + key + " = :after_key2 AND e.id " + beyond +
          " :after_id))");
      bind("after_key1", *f.after_key);
      bind("after_key2", *f.after_key);
      q.numbers.push_back(*f.after_id);
      q.number_names.push_back("after_id");
    }
    q.numbers.push_back(f.limit + 1);
    q.number_names.push_back("limit");
    const char* dir = f.ascending ? " ASC" : " DESC";
    q.sql = (full_text ? select_exceptions_matching(d) : select_exceptions(d)) + where + " ORDER BY " + key +
            dir + ", e.id" + dir + " LIMIT :limit";
    return q;
  }
  // Newest first. With a text search, the full-text index is read in that order and the rest of
  // the filters are checked as it goes, so the first page stops early instead of listing every hit.
  const std::string id = full_text ? "exceptions_search.rowid" : "e.id";
  if (f.before_id) {
    add(id + " < :before");
    q.numbers.push_back(*f.before_id);
    q.number_names.push_back("before");
  }
  q.numbers.push_back(f.limit + 1);
  q.number_names.push_back("limit");
  q.sql = (full_text ? select_exceptions_matching(d) : select_exceptions(d)) + where + " ORDER BY " + id +
          " DESC LIMIT :limit";
  return q;
}

}  // namespace waiver::store
