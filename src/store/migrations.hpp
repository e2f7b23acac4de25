// Numbered schema migrations, one list per engine; applied in order, each in its transaction.
#pragma once
#include <span>
#include <string_view>

namespace waiver::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // statements separated by ';' at line ends
};

std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgresql_migrations();

}  // namespace waiver::store
