#include "cli/csv_import.hpp"

#include <csv.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "app/request_import.hpp"

namespace waiver::cli {
namespace {

struct Reader {
  app::RequestImport& import;
  std::vector<std::string> fields;
  bool header_done = false;
  bool header_ok = false;
};

void on_field(void* text, std::size_t len, void* data) {
  static_cast<Reader*>(data)->fields.emplace_back(static_cast<const char*>(text), len);
}

void on_row(int, void* data) {
  auto* r = static_cast<Reader*>(data);
  if (!r->header_done) {
    r->header_done = true;
    r->header_ok = static_cast<bool>(r->import.header(r->fields));
  } else if (r->header_ok) {
    r->import.row(r->fields);
  }
  r->fields.clear();
}

void report_problems(const app::ImportReport& report) {
  for (const auto& p : report.problems) {
    std::cerr << (p.row == 0 ? std::string("file") : "row " + std::to_string(p.row));
    if (!p.field.empty()) std::cerr << ": " << p.field;
    std::cerr << ": " << p.message << "\n";
  }
}

}  // namespace

int import_requests_csv(app::Services& s, const std::string& path, const std::string& actor, bool dry_run) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "waiver: cannot read " << path << "\n";
    return 1;
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<double>(in.tellg());
  in.seekg(0);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  const auto started = std::chrono::steady_clock::now();

  app::RequestImport import(s, actor, path, dry_run);
  Reader reader{import, {}, false, false};
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    std::cerr << "waiver: the CSV parser cannot start\n";
    return 1;
  }
  std::vector<char> buf(1 << 20);
  double read = 0;
  long long shown = 0;
  std::string parse_error;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    if (csv_parse(&parser, buf.data(), n, on_field, on_row, &reader) != n) {
      parse_error = csv_strerror(csv_error(&parser));
      break;
    }
    read += static_cast<double>(n);
    if (terminal && import.rows() - shown >= 5000) {
      shown = import.rows();
      std::fprintf(stderr, "\rimporting %s: %3.0f%% (%lld rows)", path.c_str(),
                   100.0 * read / std::max(size, 1.0), shown);
    }
  }
  if (parse_error.empty() && csv_fini(&parser, on_field, on_row, &reader) != 0)
    parse_error = csv_strerror(csv_error(&parser));
  csv_free(&parser);
  if (terminal) std::fprintf(stderr, "\r%60s\r", "");
  auto report = import.finish();
  if (!parse_error.empty()) {
    std::cerr << "waiver: " << path << " is not valid CSV (" << parse_error << ", after " << report.rows
              << " rows); nothing was imported\n";
    return 1;
  }
  if (!report.problems.empty()) {
    report_problems(report);
    std::cerr << "waiver: " << report.problems.size() << (report.problems.size() >= 1000 ? " or more" : "")
              << " problems in " << path << "; nothing was imported\n";
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (dry_run)
    std::cout << "Checked " << report.rows << " rows of " << path
              << ": all valid (nothing imported: --dry-run)\n";
  else
    std::cout << "Imported " << report.imported << " requests from " << path << " in " << seconds << " s ("
              << static_cast<long long>(static_cast<double>(report.imported) / std::max(seconds, 1e-9))
              << " requests/s)\n";
  return 0;
}

}  // namespace waiver::cli
