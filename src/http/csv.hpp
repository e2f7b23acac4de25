// The register as CSV, with cells that a spreadsheet would run as formulas neutralised.
#pragma once
#include <string>
#include <vector>

#include "app/services.hpp"

namespace waiver::http {

std::string csv_cell(const std::string& value);
std::string register_csv(const std::vector<app::RequestView>& rows);

// The register's columns, and one row's cells as text; shared by the CSV and XLSX exports.
const std::vector<std::string>& register_columns();
std::vector<std::string> register_cells(const app::RequestView& v);

}  // namespace waiver::http
