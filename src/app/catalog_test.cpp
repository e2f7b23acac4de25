// The catalog and matrix use cases: admins only, the organisation file's checks with places
// relative to the document, a new matrix version only on change, each change audited.
#include "app/catalog.hpp"
#include "app/organisation_json.hpp"
#include "app/use_cases_fixture.hpp"

namespace waiver::app::testing {
namespace {

class Catalog : public UseCases {
 protected:
  void SetUp() override {
    UseCases::SetUp();
    auto file = organisation_file();
    file["users"].push_back({{"email", "admin@x.test"}, {"name", "Ada"}, {"roles", {"admin"}}});
    ASSERT_TRUE(import_organisation(s_, file, "test"));
  }
  std::vector<std::string> fields(const Error& e) {
    std::vector<std::string> out;
    for (const auto& f : e.errors) out.push_back(f.field);
    return out;
  }
};

TEST_F(Catalog, MatrixErrorsNameTheirPlaceInTheDocument) {
  const json doc = {
      {"default", {{"max_days", "many"}}},
      {"rules",
       {{{"when", {{"type", "spaceship"}}}},
        {{"when", {{"data_classification", "RED"}}}, {"require", {{{"slot", "x"}, {"role", "judge"}}}}}}}};
  auto m = matrix_document_from_json(doc, {"ana@x.test"});
  ASSERT_FALSE(m);
  const auto f = fields(Error::from(m.error()));
  EXPECT_EQ(f, (std::vector<std::string>{"default.max_days", "rules.0.when.type", "rules.1.require.0.role"}));
  auto ghost = matrix_document_from_json(
      {{"rules",
        {{{"when", {{"type", "device"}}}, {"require", {{{"slot", "dpo"}, {"user", "ghost@x.test"}}}}}}}},
      {"ana@x.test"});
  ASSERT_FALSE(ghost);
  EXPECT_EQ(fields(Error::from(ghost.error())), (std::vector<std::string>{"rules.0.require.0.user"}));
}

TEST_F(Catalog, AMatrixChangeMakesOneVersionAndOneEventAndTheSameMatrixNone) {
  const auto before = ok(current_matrix(s_, actor("ana")));
  const json doc = {{"default", {{"first_approval", "department_head"}, {"max_days", 120}}}};
  EXPECT_EQ(replace_matrix(s_, actor("ana"), doc, std::nullopt).error().kind, K::forbidden);
  const auto events = all_events();
  auto changed = ok(replace_matrix(s_, actor("admin"), doc, before.version));
  EXPECT_TRUE(changed.changed);
  EXPECT_EQ(changed.stored.version, before.version + 1);
  EXPECT_EQ(changed.stored.matrix.max_days, 120);
  EXPECT_EQ(all_events(), events + 1);
  auto same = ok(replace_matrix(s_, actor("admin"), doc, std::nullopt));
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(same.stored.version, before.version + 1);
  EXPECT_EQ(all_events(), events + 1);
  EXPECT_EQ(replace_matrix(s_, actor("admin"), doc, before.version).error().kind, K::precondition_failed);
}

TEST_F(Catalog, PoliciesAreCheckedLikeTheOrganisationFileAndMerged) {
  const domain::Actor admin = actor("admin");
  EXPECT_EQ(
      save_policy(s_, actor("owner"), "", {{"id", "p"}, {"title", "P"}, {"owner", "owner@x.test"}}, true)
          .error()
          .kind,
      K::forbidden);
  auto bad = save_policy(s_, admin, "", {{"id", "Bad Id"}, {"title", " "}, {"owner", "ghost@x.test"}}, true);
  ASSERT_FALSE(bad);
  EXPECT_EQ(fields(bad.error()), (std::vector<std::string>{"title", "id", "owner"}));
  EXPECT_EQ(
      save_policy(s_, admin, "", {{"id", "access-control"}, {"title", "A"}, {"owner", "owner@x.test"}}, true)
          .error()
          .kind,
      K::conflict);
  auto p = ok(save_policy(s_, admin, "",
                          {{"id", "remote-work"},
                           {"title", "Remote"},
                           {"owner", "owner@x.test"},
                           {"maintainers", {"maint@x.test"}},
                           {"reminder_days", {5}}},
                          true));
  EXPECT_EQ(p["maintainers"], json({"maint@x.test"}));
  auto q =
      ok(save_policy(s_, admin, "remote-work", {{"title", "Remote Work"}, {"maintainers", nullptr}}, false));
  EXPECT_EQ(q["title"], "Remote Work");
  EXPECT_EQ(q["maintainers"], json::array());
  EXPECT_EQ(q["reminder_days"], json({5}));
  EXPECT_EQ(save_policy(s_, admin, "nope", {{"title", "X"}}, false).error().kind, K::not_found);
  EXPECT_EQ(store_->begin_read()->policy("remote-work")->title, "Remote Work");
}

}  // namespace
}  // namespace waiver::app::testing
