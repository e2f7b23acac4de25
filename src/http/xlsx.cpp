#include "http/xlsx.hpp"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "http/csv.hpp"

namespace waiver::http {

std::string xlsx_text(const std::string& value) {
  constexpr std::size_t kMax = 32767;
  if (value.size() <= kMax) return value;
  std::size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;  // a continuation byte
  return value.substr(0, end);
}

std::optional<std::string> register_xlsx(const std::vector<app::RequestView>& rows) {
  // libxlsxwriter 1.1.4 (Debian 12) writes only to a file: a private temporary one, read back.
  std::string path = (std::filesystem::temp_directory_path() / "waiver-export-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) return std::nullopt;
  ::close(fd);
  struct Remove {
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{path};

  lxw_workbook* book = workbook_new(path.c_str());
  if (!book) return std::nullopt;
  lxw_worksheet* sheet = workbook_add_worksheet(book, "Register");
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  const auto& columns = register_columns();
  for (std::size_t c = 0; c < columns.size(); ++c)
    worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), columns[c].c_str(), bold);
  lxw_row_t row = 1;
  for (const auto& v : rows) {
    const auto cells = register_cells(v);
    // Every cell is a string cell: text that looks like a formula (=, +, -, @) is never run.
    for (std::size_t c = 0; c < cells.size(); ++c)
      if (!cells[c].empty())
        worksheet_write_string(sheet, row, static_cast<lxw_col_t>(c), xlsx_text(cells[c]).c_str(), nullptr);
    ++row;
  }
  worksheet_freeze_panes(sheet, 1, 0);
  if (workbook_close(book) != LXW_NO_ERROR) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace waiver::http
