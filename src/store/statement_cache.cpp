#include "store/statement_cache.hpp"

namespace waiver::store {

CachedStatement::CachedStatement(soci::session& sql, const std::string& text, std::size_t parameters,
                                 std::size_t numbers)
    : params_(parameters), numbers_(numbers), statement_(sql) {
  for (auto& p : params_) statement_.exchange(soci::use(p));
  for (auto& n : numbers_) statement_.exchange(soci::use(n));
  statement_.exchange(soci::into(row_));
  statement_.alloc();
  statement_.prepare(text);
  statement_.define_and_bind();
}

void StatementCache::exec(soci::session& sql, const std::string& text) {
  auto it = commands_.find(text);
  if (it == commands_.end()) {
    auto st = std::make_unique<soci::statement>(sql);
    st->alloc();
    st->prepare(text);
    st->define_and_bind();
    it = commands_.emplace(text, std::move(st)).first;
  }
  try {
    it->second->execute(true);
  } catch (...) {
    commands_.erase(text);
    throw;
  }
}

}  // namespace waiver::store
