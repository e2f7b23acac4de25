// `waiver requests import FILE.csv`: reads the file with libcsv (RFC 4180: quoted fields, commas,
// quotes and line breaks inside quotes), row by row, into app::RequestImport.
#pragma once
#include <string>

#include "app/services.hpp"

namespace waiver::cli {

// Prints what was imported, or every refused row and why (nothing is imported then); returns
// the exit status.
int import_requests_csv(app::Services& s, const std::string& path, const std::string& actor, bool dry_run);

}  // namespace waiver::cli
