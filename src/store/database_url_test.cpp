// PostgreSQL URLs turned into libpq connection strings (SQLite URLs: sql_store_test.cpp).
#include <gtest/gtest.h>

#include "store/sql_store.hpp"

namespace waiver::store {
namespace {

TEST(DatabaseUrl, PostgresqlBecomesAQuotedConnectionString) {
  auto u = parse_database_url("postgresql://ana:p%40ss%27word@db.example:6543/waiver");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->engine, DatabaseUrl::Engine::postgresql);
  EXPECT_EQ(
      u->target,
      "host='db.example' dbname='waiver' port=6543 user='ana' password='p@ss\\'word' connect_timeout=10");
  EXPECT_EQ(parse_database_url("postgres://127.0.0.1/w")->target,
            "host='127.0.0.1' dbname='w' connect_timeout=10");
}

TEST(DatabaseUrl, BrokenUrlsAreRefusedWithAReason) {
  for (const char* bad : {"postgresql://host", "postgresql://host:port/db", "postgresql://u:%zz@h/db",
                          "postgresql://:5432/db", "mysql://h/db", "waiver.db"}) {
    auto u = parse_database_url(bad);
    EXPECT_FALSE(u) << bad;
    if (!u) {
      EXPECT_FALSE(u.error().empty());
    }
  }
}

}  // namespace
}  // namespace waiver::store
