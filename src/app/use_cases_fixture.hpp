// The fixture of the use-case tests: a real SQLite store in a temporary folder, a settable
// clock, a small organisation, and helpers to take a request through the process.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>

#include "app/services.hpp"
#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::app::testing {

namespace fs = std::filesystem;
using domain::Status;
using K = Error::Kind;

// A temporary folder of this suite's own.
class TempDir : public waiver::testing::TempDir {
 public:
  TempDir() : waiver::testing::TempDir("waiver-app") {}
};

class FakeClock final : public Clock {
 public:
  Instant now() const override { return t_; }
  void set(const char* rfc3339) { t_ = *domain::parse_instant(rfc3339); }
  void advance_days(int days) { t_.seconds += days * 86400LL; }
  void advance_seconds(int seconds) { t_.seconds += seconds; }

 private:
  Instant t_ = *domain::parse_instant("2026-03-01T09:00:00Z");
};

// Shaped like the organisation file.
inline json organisation_file() {
  auto user = [](const char* name, const char* dep, json roles = json::array()) {
    json u{{"email", std::string(name) + "@x.test"}, {"name", name}, {"department", dep}};
    if (!roles.empty()) u["roles"] = roles;
    return u;
  };
  return {{"users",
           {user("ana", "Engineering"), user("eng.head", "Engineering"), user("owner", "Security"),
            user("maint", "Security"), user("sec", "Security", {"security_compliance"}),
            user("legal", "Legal", {"legal"}), user("ceo", "Executive", {"ceo"}),
            user("cfo", "Finance", {"cfo"}), user("aud", "Finance", {"auditor"}), user("stranger", "Sales")}},
          {"departments", {{{"name", "Engineering"}, {"head", "eng.head@x.test"}}}},
          {"policies",
           {{{"id", "access-control"},
             {"title", "Access Management Policy"},
             {"kind", "policy"},
             {"owner", "owner@x.test"},
             {"maintainers", {"maint@x.test"}}}}},
          {"matrix", {{"default", {{"first_approval", "department_head"}, {"max_days", 90}}}}}};
}

inline json complete_request(const std::string& title = "Read access to production") {
  return {{"title", title},
          {"policy_id", "access-control"},
          {"requirement", "Only on-call engineers read production."},
          {"type", "access"},
          {"data_classification", "ORANGE"},
          {"description", "Read access for the analysis."},
          {"justification", "Incidents need it."},
          {"resources", "Two engineers."},
          {"scope", "One database."},
          {"likelihood", 2},
          {"impact", 3},
          {"compensating_controls", {{{"description", "Query logging"}}}},
          {"start_on", "2026-03-01"},
          {"end_on", "2026-04-30"}};
}

inline json owner_approval(const std::string& end_on = "2026-04-30") {
  return {{"decision", "approve"},
          {"risk_level", "medium"},
          {"end_on", end_on},
          {"compensating_controls", {{{"description", "Weekly log review"}, {"status", "implemented"}}}}};
}

class UseCases : public ::testing::Test {
 protected:
  void SetUp() override {
    auto imported = import_organisation(s_, organisation_file(), "test");
    ASSERT_TRUE(imported) << imported.error().detail;
  }

  domain::Actor actor(const std::string& who) {
    auto a = store_->begin_read()->actor(who + "@x.test");
    if (!a) throw std::runtime_error("no user " + who);
    return *a;
  }

  template <typename T>
  T ok(Outcome<T> r) {
    if (!r) {
      std::string fields;
      for (const auto& e : r.error().errors) fields += " " + e.field + ": " + e.message;
      ADD_FAILURE() << r.error().detail << fields;
      throw std::runtime_error("use case failed");
    }
    return std::move(*r);
  }

  using UseCase = Outcome<RequestView> (*)(Services&, const domain::Actor&, const ActionInput&);
  Outcome<RequestView> run(UseCase use_case, const std::string& who, domain::Id id,
                           json body = json::object(), std::optional<std::int64_t> if_match = std::nullopt) {
    clock_.advance_days(1);
    return use_case(s_, actor(who), {std::to_string(id), if_match, std::move(body)});
  }
  Outcome<RequestView> decide(const std::string& who, domain::Id id, const std::string& slot, json body) {
    clock_.advance_days(1);
    return decide_slot(s_, actor(who), {std::to_string(id), std::nullopt, std::move(body)}, slot);
  }

  domain::Id create(const json& body = complete_request()) {
    return ok(create_request(s_, actor("ana"), body)).request.id;
  }
  domain::Id active_request(const json& body = complete_request()) {
    const auto id = create(body);
    ok(run(submit_request, "ana", id));
    ok(decide("eng.head", id, "department", {{"decision", "approve"}}));
    ok(decide("sec", id, "compliance", {{"decision", "approve"}, {"implications", "none"}}));
    ok(decide("owner", id, "owner", owner_approval(body["end_on"])));
    return id;
  }

  std::vector<AuditEvent> events(domain::Id id) {
    return store_->begin_read()->events_of("exception", std::to_string(id));
  }
  domain::ExceptionRequest stored(domain::Id id) { return *store_->begin_read()->find(id); }
  std::int64_t all_events() { return store_->verify_audit().events; }

  TempDir dir_;
  std::unique_ptr<Store> store_ =
      store::open_store(store::DatabaseUrl{store::DatabaseUrl::Engine::sqlite, dir_.file("app.db").string()});
  FakeClock clock_;
  Services s_{*store_, clock_, {}};
};

}  // namespace waiver::app::testing
