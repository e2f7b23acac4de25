// Mapping between exception requests and their rows, and the SQL that reads and writes them.
#pragma once
#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/ports.hpp"
#include "store/dialect.hpp"

namespace waiver::store {

// The columns of `exceptions` as bindable values (they must outlive the statement).
struct ExceptionRow {
  std::string ref, status, requester_email, policy_id, title, requirement, description, alternative,
      justification, resources, scope, controls_json, links_json, approvals_json, frameworks_json,
      action_plan, invitations_json, closed_reason, created_at, updated_at;
  std::optional<std::string> department, type, data_classification, start_on, end_on, implications,
      risk_level, decision_end_on, appeal_json, submitted_at, decided_at, denied_at;
  std::optional<long long> likelihood, impact, parent_id;
  long long max_days = 0, matrix_version = 0, version = 1;
};

ExceptionRow to_row(const domain::ExceptionRequest& r);
// Binds the columns whose bits are set in `only` (in the order of insert_exception_sql), by name.
void bind_row(soci::details::prepare_temp_type& prep, ExceptionRow& row,
              std::uint64_t only = ~std::uint64_t{0});
// With RETURNING id when `returning_id` (Dialect::returning_id).
const std::string& insert_exception_sql(bool returning_id);
// The columns of `now` that differ from `before`, one bit each, and always `version`.
std::uint64_t changed_columns(const ExceptionRow& now, const ExceptionRow& before);
// UPDATE of the `changed` columns only, so that SQLite and PostgreSQL leave the indexes of the
// others alone; binds also :id and :previous (the old version).
std::string update_exception_sql(std::uint64_t changed);
// SELECT … FROM exceptions e JOIN users u …, to which a WHERE clause is appended; more_columns
// (over e) are selected after the request's.
std::string select_exceptions(const Dialect& d, std::string_view more_columns = {});
// A row of select_exceptions in typed variables, bound once per prepared statement: read by
// position, not through soci::row (a string per column, copied again, found by name).
struct RequestRow {
  long long id = 0;
  ExceptionRow row;
  std::optional<std::string> requester_name, extension_ids;
};
// Binds the columns of select_exceptions, in its order; the caller binds more_columns after.
void bind_request_row(soci::details::prepare_temp_type& p, RequestRow& out);
// The request of a fetched row; moves the row's texts out.
domain::ExceptionRequest request_from(RequestRow& r);
app::AuditEvent event_from_row(const soci::row& r);

struct ListQuery {
  std::string sql;
  std::vector<std::string> values, names;
  std::vector<long long> numbers;
  std::vector<std::string> number_names;
};

// The register query: filters, what the reader may see, newest first, limit + 1 rows.
ListQuery list_query(const app::ListFilter& f, const domain::Actor& reader, const Dialect& d);

}  // namespace waiver::store
