// The register as CSV, with cells that a spreadsheet would run as formulas neutralised.
#pragma once
#include <string>
#include <vector>

#include "app/services.hpp"

namespace waiver::http {

std::string csv_cell(const std::string& value);
std::string register_csv(const std::vector<app::RequestView>& rows);

}  // namespace waiver::http
