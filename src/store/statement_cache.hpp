#pragma once
// Prepared statements kept per pooled connection, for the queries every request runs.
//
// SOCI's `sql << …` and `rowset` prepare the SQL again on every call. On SQLite that parse is
// most of the cost of a small query: reading one request by id took 175 µs prepared each time and
// 13 µs prepared once (measured in docs/performance.md). A cached statement owns its parameter
// values and its result row, so that SOCI's bindings, made once, stay valid.

#include <soci/soci.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace waiver::store {

// One statement, prepared once. Parameters are bound in order of appearance: first `parameters`
// as text (SQLite applies the column's affinity, PostgreSQL infers the type from the context),
// then `numbers` as integers (LIMIT, ids compared with a virtual table's rowid).
class CachedStatement {
 public:
  CachedStatement(soci::session& sql, const std::string& text, std::size_t parameters,
                  std::size_t numbers = 0);
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  // Runs the statement with these values; calls `each(row)` for every row of the result, and
  // reads it to the end so that SQLite holds no statement open.
  template <typename F>
  void run(const std::vector<std::string>& values, const std::vector<long long>& numbers, F&& each) {
    for (std::size_t i = 0; i < params_.size() && i < values.size(); ++i) params_[i] = values[i];
    for (std::size_t i = 0; i < numbers_.size() && i < numbers.size(); ++i) numbers_[i] = numbers[i];
    bool got = statement_.execute(true);
    while (got) {
      each(static_cast<const soci::row&>(row_));
      got = statement_.fetch();
    }
  }

 private:
  std::vector<std::string> params_;
  std::vector<long long> numbers_;
  soci::row row_;
  soci::statement statement_;
};

// A statement bound once to the fields of `Vars`, for writes with typed and nullable values: the
// caller sets the fields, then executes.
struct PreparedBase {
  virtual ~PreparedBase() = default;
};
template <typename Vars>
struct Prepared final : PreparedBase {
  Vars vars;
  std::unique_ptr<soci::statement> statement;
};

// The statements of one connection, by SQL text. Not thread-safe: a connection is leased to one
// unit of work at a time. A statement that failed is dropped (its state is unknown), and the whole
// cache is dropped when the connection is opened again.
class StatementCache {
 public:
  template <typename F>
  void run(soci::session& sql, const std::string& text, const std::vector<std::string>& values, F&& each) {
    run(sql, text, values, {}, std::forward<F>(each));
  }
  // The same with integer parameters after the text ones. The register's queries differ by the
  // filters present (not their values), so a connection keeps at most kMaxEntries of them.
  template <typename F>
  void run(soci::session& sql, const std::string& text, const std::vector<std::string>& values,
           const std::vector<long long>& numbers, F&& each) {
    auto it = entries_.find(text);
    if (it == entries_.end()) {
      if (entries_.size() >= kMaxEntries) entries_.clear();
      it = entries_.emplace(text, std::make_unique<CachedStatement>(sql, text, values.size(), numbers.size()))
               .first;
    }
    try {
      it->second->run(values, numbers, each);
    } catch (...) {
      entries_.erase(text);
      throw;
    }
  }
  // Prepares `text` once, binding it with `bind(prepare_temp_type&, Vars&)`; then calls
  // `use(Vars&, soci::statement&)`, which sets the values and executes. An update of a request
  // names only the columns it changes, so its texts are many: at most kMaxEntries are kept.
  template <typename Vars, typename Bind, typename Use>
  void with(soci::session& sql, const std::string& text, Bind&& bind, Use&& use) {
    auto it = typed_.find(text);
    if (it == typed_.end()) {
      if (typed_.size() >= kMaxEntries) typed_.clear();
      auto p = std::make_unique<Prepared<Vars>>();
      auto prep = (sql.prepare << text);
      bind(prep, p->vars);
      p->statement = std::make_unique<soci::statement>(prep);
      it = typed_.emplace(text, std::move(p)).first;
    }
    auto* p = dynamic_cast<Prepared<Vars>*>(it->second.get());
    if (!p) throw std::logic_error("one SQL text cached with two kinds of bindings: " + text);
    try {
      use(p->vars, *p->statement);
    } catch (...) {
      typed_.erase(text);
      throw;
    }
  }

  // A statement without parameters or rows (BEGIN, COMMIT, ROLLBACK), prepared once.
  void exec(soci::session& sql, const std::string& text);
  // How many statements of each kind are kept (at most kMaxEntries each).
  std::size_t queries_kept() const { return entries_.size(); }
  std::size_t typed_kept() const { return typed_.size(); }
  static constexpr std::size_t kMaxEntries = 256;

  void clear() {
    entries_.clear();
    commands_.clear();
    typed_.clear();
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<CachedStatement>> entries_;
  std::unordered_map<std::string, std::unique_ptr<soci::statement>> commands_;
  std::unordered_map<std::string, std::unique_ptr<PreparedBase>> typed_;
};

// Executes a statement that returns at most one row (RETURNING, a single SELECT) and reads it to
// the end, so that SQLite does not hold it open; the row stays in the bound variables.
inline bool execute_one(soci::statement& st) {
  const bool got = st.execute(true);
  if (got) st.fetch();  // steps past the last row; the bound variables keep the row read
  return got;
}

}  // namespace waiver::store
