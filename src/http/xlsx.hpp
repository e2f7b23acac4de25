// The register as an XLSX workbook (libxlsxwriter): the CSV's columns, every cell a string.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "app/services.hpp"

namespace waiver::http {

inline constexpr const char* kXlsxContentType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// The file's bytes; nothing when the workbook could not be written (no temporary space).
std::optional<std::string> register_xlsx(const std::vector<app::RequestView>& rows);

// At most 32,767 bytes (Excel's limit on a cell), cut on a UTF-8 character boundary.
std::string xlsx_text(const std::string& value);

}  // namespace waiver::http
