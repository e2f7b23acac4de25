// The statement cache keeps a bounded number of statements per connection, and each kept
// statement gives the answer of its own text with the values of each call.
#include "store/statement_cache.hpp"

#include <gtest/gtest.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>

namespace waiver::store {
namespace {

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { sql_.open(*soci::factory_sqlite3(), "db=:memory:"); }
  // `SELECT :v + n` through the typed path: a new text for each n.
  long long add(int n, long long v) {
    struct Vars {
      long long v = 0, out = 0;
    };
    long long out = -1;
    cache_.with<Vars>(
        sql_, "SELECT :v + " + std::to_string(n),
        [](auto& prep, Vars& x) { prep, soci::use(x.v, "v"), soci::into(x.out); },
        [&](Vars& x, soci::statement& st) {
          x.v = v;
          execute_one(st);
          out = x.out;
        });
    return out;
  }
  soci::session sql_;
  StatementCache cache_;
};

TEST_F(StatementCacheTest, KeepsAtMostItsLimitOfTypedStatementsAndAnswersRightAfterDroppingThem) {
  for (int n = 0; n < 1000; ++n) {
    ASSERT_EQ(add(n, 7), n + 7);
    ASSERT_LE(cache_.typed_kept(), StatementCache::kMaxEntries);
  }
  // Kept ones and ones prepared again both answer with this call's values.
  EXPECT_EQ(add(999, 1), 1000);
  EXPECT_EQ(add(3, 100), 103);
  EXPECT_GT(cache_.typed_kept(), 0u);
}

TEST_F(StatementCacheTest, KeepsAtMostItsLimitOfQueries) {
  for (int n = 0; n < 600; ++n) {
    std::string got;
    cache_.run(sql_, "SELECT :v || '-" + std::to_string(n) + "'", {"x"},
               [&](const soci::row& r) { got = r.get<std::string>(0); });
    ASSERT_EQ(got, "x-" + std::to_string(n));
    ASSERT_LE(cache_.queries_kept(), StatementCache::kMaxEntries);
  }
}

}  // namespace
}  // namespace waiver::store
