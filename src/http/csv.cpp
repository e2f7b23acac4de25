#include "http/csv.hpp"

namespace waiver::http {

std::string csv_cell(const std::string& value) {
  std::string v = value;
  // A leading =, +, -, @, tab or CR makes a spreadsheet evaluate the cell: prefix a quote.
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
    v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const std::vector<std::string>& register_columns() {
  static const std::vector<std::string> kColumns{"ref",
                                                 "status",
                                                 "title",
                                                 "policy_id",
                                                 "type",
                                                 "data_classification",
                                                 "requester",
                                                 "department",
                                                 "risk_level",
                                                 "start_on",
                                                 "end_on",
                                                 "decision_end_on",
                                                 "compensating_controls",
                                                 "created_at",
                                                 "updated_at"};
  return kColumns;
}

std::vector<std::string> register_cells(const app::RequestView& v) {
  const auto& r = v.request;
  const auto& c = r.content;
  std::string controls;
  for (const auto& x : c.compensating_controls) {
    if (!controls.empty()) controls += "; ";
    controls += x.description + " (" + std::string(domain::to_string(x.status)) + ")";
  }
  auto opt = [](const auto& o) { return o ? std::string(domain::to_string(*o)) : std::string(); };
  auto date = [](const std::optional<domain::Date>& d) {
    return d ? domain::format_date(*d) : std::string();
  };
  return {r.ref,
          std::string(domain::to_string(r.status)),
          c.title,
          c.policy_id,
          opt(c.type),
          opt(c.data_classification),
          r.requester,
          r.department,
          opt(r.risk_level),
          date(c.start_on),
          date(c.end_on),
          date(r.decision_end_on),
          controls,
          domain::format_instant(r.created_at),
          domain::format_instant(r.updated_at)};
}

std::string register_csv(const std::vector<app::RequestView>& rows) {
  std::string out;
  auto line = [&out](const std::vector<std::string>& cells) {
    bool first = true;
    for (const auto& cell : cells) {
      if (!first) out += ',';
      out += csv_cell(cell);
      first = false;
    }
    out += "\r\n";
  };
  line(register_columns());
  for (const auto& v : rows) line(register_cells(v));
  return out;
}

}  // namespace waiver::http
