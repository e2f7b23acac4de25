// The register query and the visibility rule agree: for every person of the demo organisation,
// the register lists exactly the requests that domain::can_see lets them open.
#include <gtest/gtest.h>

#include <set>

#include "app/services.hpp"
#include "cli/demo.hpp"
#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::cli {
namespace {

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new testing::SodiumEnvironment);

class NowClock final : public app::Clock {
 public:
  domain::Instant now() const override { return *domain::parse_instant("2026-06-15T12:00:00Z"); }
};

TEST(Visibility, TheRegisterListsExactlyWhatEachPersonMayOpen) {
  testing::TempDir dir("waiver-visibility");
  auto store = store::open_store({store::DatabaseUrl::Engine::sqlite, dir.file("w.db").string()});
  NowClock clock;
  load_demo(*store, clock.now());
  app::Services s{*store, clock, {}};

  std::vector<domain::ExceptionRequest> all;
  std::vector<domain::Actor> people;
  {
    auto uow = store->begin_read();
    domain::Actor reader;
    reader.roles = {domain::Role::auditor};
    app::ListFilter f;
    f.limit = 200;
    all = uow->list(f, reader);
    for (const auto& email : uow->user_emails()) people.push_back(*uow->actor(email));
  }
  ASSERT_GE(all.size(), 14u);
  ASSERT_GE(people.size(), 15u);

  int someone_sees_less = 0;
  for (const auto& person : people) {
    std::set<domain::Id> expected;
    for (const auto& r : all)
      if (domain::can_see(person, r)) expected.insert(r.id);
    app::ListFilter f;
    f.limit = 200;
    auto page = app::list_requests(s, person, f);
    ASSERT_TRUE(page);
    std::set<domain::Id> listed;
    for (const auto& v : page->items) listed.insert(v.request.id);
    EXPECT_EQ(listed, expected) << person.email;
    for (const auto& r : all) {
      const bool opens = app::get_request(s, person, std::to_string(r.id)).has_value();
      EXPECT_EQ(opens, expected.contains(r.id)) << person.email << " " << r.ref;
    }
    if (expected.size() < all.size()) ++someone_sees_less;
  }
  EXPECT_GE(someone_sees_less, 5) << "least privilege: most employees see only part of the register";
}

}  // namespace
}  // namespace waiver::cli
