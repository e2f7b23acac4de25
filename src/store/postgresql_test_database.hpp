// A throw-away PostgreSQL database for a test, made in the cluster of WAIVER_TEST_POSTGRES_URL
// (which `make test` starts) and dropped at the end; not available when the variable is unset.
#pragma once
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "store/sql_store.hpp"

namespace waiver::store {

class PostgresDatabase {
 public:
  explicit PostgresDatabase(const std::string& prefix = "waiver_test_") {
    const char* base = std::getenv("WAIVER_TEST_POSTGRES_URL");
    if (!base || !*base) return;
    base_ = base;
    name_ = prefix + std::to_string(std::random_device{}()) + std::to_string(counter_++);
    admin().once << "CREATE DATABASE " + name_;
    url_ = *parse_database_url(base_.substr(0, base_.rfind('/') + 1) + name_);
  }
  ~PostgresDatabase() {
    if (name_.empty()) return;
    try {
      admin().once << "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
    } catch (...) {
    }
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  bool available() const { return !name_.empty(); }
  const DatabaseUrl& url() const { return url_; }
  soci::session raw() const { return soci::session(*soci::factory_postgresql(), url_.target); }
  std::unique_ptr<app::Store> open(std::size_t pool = 4) const { return open_store(url_, {pool, true}); }

 private:
  soci::session admin() const {
    return soci::session(*soci::factory_postgresql(), parse_database_url(base_)->target);
  }
  static inline int counter_ = 0;
  std::string base_, name_;
  DatabaseUrl url_;
};

}  // namespace waiver::store
