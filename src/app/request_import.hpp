// Bringing an existing register in: one row per exception, the contract's field names as
// columns, validated row by row, all or nothing. Each imported request gets one audit event,
// `import`, naming the source and the row.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/services.hpp"

namespace waiver::app {

struct ImportProblem {
  long long row = 0;  // 1 is the header; 0 for the file as a whole
  std::string field;
  std::string message;
};

struct ImportReport {
  long long rows = 0;      // data rows read
  long long imported = 0;  // written (0 unless every row was valid)
  std::vector<ImportProblem> problems;
  bool committed = false;
};

// The columns a file may have; `title`, `policy_id` and `requester` are required.
const std::vector<std::string>& import_columns();

// Feed the header, then each row, then finish(). Rows are validated as they come; they are
// written in one transaction that commits only if no row was refused. Holds the write lock
// from the header to finish().
class RequestImport {
 public:
  RequestImport(Services& s, std::string actor, std::string source, bool dry_run);
  ~RequestImport();
  // Refused when a column is unknown, doubled, or a required one is missing.
  Outcome<void> header(const std::vector<std::string>& columns);
  void row(const std::vector<std::string>& cells);
  ImportReport finish();
  long long rows() const { return report_.rows; }

 private:
  struct State;
  std::unique_ptr<State> st_;
  ImportReport report_;
};

}  // namespace waiver::app
