// dispatch() over a real store: routing answers (404, 405), authentication (401), the body's
// limits (400, 413) and the content checks (422), none of which changes anything; a failing
// store becomes 503; the CSV export neutralises formulas.
#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "app/services.hpp"
#include "http/csv.hpp"
#include "http/server.hpp"
#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::http {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new waiver::testing::SodiumEnvironment);

// A temporary folder of this suite's own.
class TempDir : public waiver::testing::TempDir {
 public:
  TempDir() : waiver::testing::TempDir("waiver-http") {}
};

class FixedClock final : public app::Clock {
 public:
  domain::Instant now() const override { return *domain::parse_instant("2026-03-01T09:00:00Z"); }
};

json organisation_file() {
  return {{"users",
           {{{"email", "ana@x.test"}, {"name", "Ana"}, {"department", "Engineering"}},
            {{"email", "head@x.test"}, {"name", "Head"}, {"department", "Engineering"}},
            {{"email", "owner@x.test"}, {"name", "Owner"}},
            {{"email", "aud@x.test"}, {"name", "Aud"}, {"roles", {"auditor"}}}}},
          {"departments", {{{"name", "Engineering"}, {"head", "head@x.test"}}}},
          {"policies",
           {{{"id", "access-control"}, {"title", "Access"}, {"kind", "policy"}, {"owner", "owner@x.test"}}}}};
}

HttpRequest request(std::string method, std::string path, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers["content-type"] = "application/json";
  return r;
}

std::string valid_draft() { return R"({"title":"A title","policy_id":"access-control"})"; }

class Dispatch : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(app::import_organisation(services_, organisation_file(), "test"));
    token_ = *app::create_token(services_, "ana@x.test", "test", "test");
    auditor_token_ = *app::create_token(services_, "aud@x.test", "test", "test");
  }

  HttpResponse send(HttpRequest r, const std::string& token) {
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return dispatch(ctx_, r);
  }
  HttpResponse send(HttpRequest r) { return send(std::move(r), token_); }

  json items() {
    auto r = send(request("GET", "/api/v1/exceptions"));
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body).at("items");
  }

  static std::optional<std::string> header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return std::nullopt;
  }

  // Checks a problem+json answer and returns its body.
  static json problem_of(const HttpResponse& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    auto body = json::parse(r.body);
    EXPECT_EQ(body.at("status"), status);
    EXPECT_TRUE(body.at("type").is_string());
    EXPECT_TRUE(body.at("title").is_string());
    EXPECT_TRUE(body.at("detail").is_string());
    return body;
  }
  static std::set<std::string> fields_of(const json& problem) {
    std::set<std::string> out;
    if (problem.contains("errors"))
      for (const auto& e : problem.at("errors")) out.insert(e.at("field").get<std::string>());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<app::Store> store_ = store::open_store(
      store::DatabaseUrl{store::DatabaseUrl::Engine::sqlite, dir_.file("http.db").string()});
  FixedClock clock_;
  app::Services services_{*store_, clock_, {}};
  Context ctx_{services_, {}};
  std::string token_, auditor_token_;
};

// ---- routing ---------------------------------------------------------------------------------

TEST_F(Dispatch, HealthAndTheOpenApiDocumentNeedNoToken) {
  auto health = send(request("GET", "/api/v1/health"), "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body), (json{{"status", "ok"}}));
  auto doc = send(request("GET", "/api/v1/openapi.json"), "");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.content_type, "application/json");
  EXPECT_EQ(json::parse(doc.body).at("openapi"), "3.1.0");
}

TEST_F(Dispatch, AnUnknownPathIs404ProblemJson) {
  for (const char* path : {"/api/v1/nope", "/api/v1/exceptions/1/nope", "/api/v1/exceptions/", "/elsewhere",
                           "/api/v1", "/api/v1exceptions", "/api/v1/exceptions//submit"}) {
    SCOPED_TRACE(path);
    problem_of(send(request("GET", path)), 404);
  }
}

TEST_F(Dispatch, AKnownPathWithAnotherMethodIs405) {
  for (auto [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"DELETE", "/api/v1/exceptions"},
                                                        {"PUT", "/api/v1/exceptions/1"},
                                                        {"GET", "/api/v1/exceptions/1/submit"},
                                                        {"POST", "/api/v1/health"}}) {
    SCOPED_TRACE(method + " " + path);
    auto r = send(request(method, path));
    problem_of(r, 405);
    auto allow = header(r, "Allow");
    ASSERT_TRUE(allow);
    EXPECT_EQ(allow->find(method), std::string::npos) << *allow;
  }
  EXPECT_EQ(*header(send(request("DELETE", "/api/v1/exceptions/1")), "Allow"), "GET, PATCH");
}

TEST_F(Dispatch, TheExportPathIsNotTakenForAnId) {
  auto r = send(request("GET", "/api/v1/exceptions/export"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
}

// ---- authentication --------------------------------------------------------------------------

TEST_F(Dispatch, NoOrAnUnknownTokenIs401WithWwwAuthenticate) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                        {"authorization", "Bearer wvr_nope"},
                                                        {"authorization", "Basic YTpi"},
                                                        {"authorization", "Bearer"}}) {
    SCOPED_TRACE(value);
    auto req = request("GET", "/api/v1/exceptions");
    if (!name.empty()) req.headers[name] = value;
    auto r = dispatch(ctx_, req);
    problem_of(r, 401);
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer");
  }
}

TEST_F(Dispatch, AuthenticationIsCheckedBeforeTheBody) {
  problem_of(send(request("POST", "/api/v1/exceptions", "{"), ""), 401);
}

TEST_F(Dispatch, TheBearerSchemeIsCaseInsensitive) {
  auto req = request("GET", "/api/v1/me");
  req.headers["authorization"] = "bearer " + token_;
  auto r = dispatch(ctx_, req);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("email"), "ana@x.test");
}

// ---- the body as JSON: 400 and 413, and nothing created --------------------------------------

std::string nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += R"({"a":)";
  s += "1";
  for (int i = 0; i < depth; ++i) s += "}";
  return s;
}

TEST_F(Dispatch, AMalformedBodyIs400AndCreatesNothing) {
  const std::vector<std::string> bodies{
      "{",                   // malformed
      R"({"title": "x",})",  // trailing comma
      "[]",
      "42",
      "\"text\"",
      "null",                      // not an object
      "{\"title\":\"\xff\xfe\"}",  // invalid UTF-8
      "{\"title\":\"\xc3\x28\"}",  // invalid continuation byte
      nested(40),                  // too deep
      "   ",                       // empty where a body is required
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body.substr(0, 40));
    problem_of(send(request("POST", "/api/v1/exceptions", body)), 400);
  }
  EXPECT_TRUE(items().empty());
}

TEST_F(Dispatch, NestingUpToTheLimitIsReadAndOneLevelMoreIsNot) {
  // 32 levels are read (and refused as content: "a" is no field); 33 are not read.
  problem_of(send(request("POST", "/api/v1/exceptions", nested(32))), 422);
  problem_of(send(request("POST", "/api/v1/exceptions", nested(33))), 400);
}

TEST_F(Dispatch, ANonJsonContentTypeIs400) {
  auto req = request("POST", "/api/v1/exceptions", valid_draft());
  req.headers["content-type"] = "text/plain";
  problem_of(send(req), 400);
  EXPECT_TRUE(items().empty());
}

TEST_F(Dispatch, ABodyOverOneMebibyteIs413AndOneOfExactlyThatSizeIsRead) {
  const std::size_t limit = 1024 * 1024;
  const std::string head = R"({"policy_id":"access-control","title":")";
  std::string exact = head + std::string(limit - head.size() - 2, 'x') + "\"}";
  ASSERT_EQ(exact.size(), limit);
  // Read, then refused for its content (the title is too long), not for its size.
  auto read = problem_of(send(request("POST", "/api/v1/exceptions", exact)), 422);
  EXPECT_EQ(fields_of(read), std::set<std::string>{"title"});
  std::string over = head + std::string(limit - head.size() - 1, 'x') + "\"}";
  ASSERT_EQ(over.size(), limit + 1);
  problem_of(send(request("POST", "/api/v1/exceptions", over)), 413);
  EXPECT_TRUE(items().empty());
}

// ---- content: 422 naming the field, and nothing created or changed ---------------------------

struct Invalid {
  std::string body;
  std::string field;
};

const std::vector<Invalid>& invalid_bodies() {
  static const std::vector<Invalid> kBodies{
      {R"({"title":"t","policy_id":"access-control","colour":"red"})", "colour"},
      {R"({"title":"t","policy_id":"access-control","id":5})", "id"},
      {R"({"title":"t","policy_id":"access-control","status":"active"})", "status"},
      {R"({"title":"t","policy_id":"access-control","start_on":"2026-02-30"})", "start_on"},
      {R"({"title":"t","policy_id":"access-control","end_on":"2026-13-01"})", "end_on"},
      {R"({"title":"t","policy_id":"access-control","end_on":20260301})", "end_on"},
      {R"({"title":"t","policy_id":"access-control","likelihood":9})", "likelihood"},
      {R"({"title":"t","policy_id":"access-control","impact":0})", "impact"},
      {R"({"title":"t","policy_id":"access-control","likelihood":99999999999999999999999})", "likelihood"},
      {R"({"title":"t","policy_id":"access-control","likelihood":9999999999})", "likelihood"},
      {R"({"title":"t","policy_id":"access-control","likelihood":-9223372036854775808})", "likelihood"},
      {R"({"title":"t","policy_id":"access-control","likelihood":2.5})", "likelihood"},
      {R"({"title":"t","policy_id":"access-control","likelihood":"2"})", "likelihood"},
      {R"({"title":5,"policy_id":"access-control"})", "title"},
      {R"({"title":"t","policy_id":"access-control","links":"https://a.test"})", "links"},
      {R"({"title":"t","policy_id":"access-control","links":[1]})", "links.0"},
      {R"j({"title":"t","policy_id":"access-control","links":["javascript:alert(1)"]})j", "links.0"},
      {R"({"title":"t","policy_id":"access-control","type":"gadget"})", "type"},
      {R"({"title":"t","policy_id":"access-control","compensating_controls":{}})", "compensating_controls"},
      {R"({"title":"t","policy_id":"access-control","compensating_controls":[{"description":"d","x":1}]})",
       "compensating_controls.0.x"},
      {R"({"title":"a\u0000b","policy_id":"access-control"})", "title"},
      {R"({"title":"t","policy_id":"access-control","description":"bell\u0007"})", "description"},
      {R"({"title":"t","policy_id":"no-such-policy"})", "policy_id"},
      {R"({"policy_id":"access-control"})", "title"},
  };
  return kBodies;
}

TEST_F(Dispatch, InvalidContentIs422NamingTheFieldAndCreatesNothing) {
  for (const auto& [body, field] : invalid_bodies()) {
    SCOPED_TRACE(body);
    auto p = problem_of(send(request("POST", "/api/v1/exceptions", body)), 422);
    EXPECT_TRUE(fields_of(p).contains(field)) << p.dump();
  }
  EXPECT_TRUE(items().empty());
}

TEST_F(Dispatch, InvalidContentInAnEditChangesNothing) {
  auto created = send(request("POST", "/api/v1/exceptions", valid_draft()));
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = json::parse(created.body).at("id").get<long long>();
  const auto path = "/api/v1/exceptions/" + std::to_string(id);
  for (const auto& [body, field] : invalid_bodies()) {
    if (field == "title" && body.find("policy_id\":\"access-control\"}") != std::string::npos &&
        body.find("\"title\"") == std::string::npos)
      continue;  // a PATCH without a title keeps the title
    SCOPED_TRACE(body);
    auto p = problem_of(send(request("PATCH", path, body)), 422);
    EXPECT_TRUE(fields_of(p).contains(field)) << p.dump();
  }
  problem_of(send(request("PATCH", path, "[1]")), 400);
  auto now = send(request("GET", path));
  ASSERT_EQ(now.status, 200);
  EXPECT_EQ(header(now, "ETag"), "\"1\"");
  auto r = json::parse(now.body);
  EXPECT_EQ(r.at("version"), 1);
  EXPECT_EQ(r.at("title"), "A title");
  auto events = json::parse(send(request("GET", path + "/events")).body).at("items");
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(Dispatch, WrongFieldNamesAre422EvenForARequestThatIsNotThere) {
  auto p = problem_of(send(request("PATCH", "/api/v1/exceptions/987654", R"({"titel":"x"})")), 422);
  EXPECT_EQ(fields_of(p), std::set<std::string>{"titel"});
  problem_of(send(request("PATCH", "/api/v1/exceptions/987654", R"({"title":"x"})")), 404);
  p = problem_of(send(request("POST", "/api/v1/exceptions/987654/submit", R"({"now":1})")), 422);
  EXPECT_EQ(fields_of(p), std::set<std::string>{"now"});
}

TEST_F(Dispatch, AMalformedQueryStringIs400) {
  auto req = request("GET", "/api/v1/exceptions");
  req.malformed_query = true;
  problem_of(send(req), 400);
}

TEST_F(Dispatch, AnActionBodyWithAnUnknownFieldIs422) {
  auto created = send(request("POST", "/api/v1/exceptions", valid_draft()));
  const auto id = json::parse(created.body).at("id").get<long long>();
  const auto base = "/api/v1/exceptions/" + std::to_string(id);
  auto p = problem_of(send(request("POST", base + "/submit", R"({"force":true})")), 422);
  EXPECT_EQ(fields_of(p), std::set<std::string>{"force"});
  p = problem_of(send(request("POST", base + "/approvals/department", R"({"decision":"maybe"})")), 422);
  EXPECT_EQ(fields_of(p), std::set<std::string>{"decision"});
  p = problem_of(send(request("POST", base + "/withdraw", R"({"reason":7})")), 422);
  EXPECT_EQ(fields_of(p), std::set<std::string>{"reason"});
  EXPECT_EQ(json::parse(send(request("GET", base)).body).at("status"), "draft");
}

// ---- the happy path through HTTP, If-Match -----------------------------------------------------

TEST_F(Dispatch, CreateAnswers201WithLocationAndETagAndIfMatchIsChecked) {
  auto created = send(request("POST", "/api/v1/exceptions", valid_draft()));
  ASSERT_EQ(created.status, 201) << created.body;
  const auto body = json::parse(created.body);
  const auto path = "/api/v1/exceptions/" + std::to_string(body.at("id").get<long long>());
  EXPECT_EQ(header(created, "Location"), path);
  EXPECT_EQ(header(created, "ETag"), "\"1\"");
  EXPECT_EQ(body.at("status"), "draft");
  EXPECT_TRUE(body.at("ref").get<std::string>().starts_with("EXC-2026-"));

  auto by_ref = send(request("GET", "/api/v1/exceptions/" + body.at("ref").get<std::string>()));
  EXPECT_EQ(by_ref.status, 200);

  auto stale = request("PATCH", path, R"({"title":"New"})");
  stale.headers["if-match"] = "\"7\"";
  problem_of(send(stale), 412);
  auto garbage = request("PATCH", path, R"({"title":"New"})");
  garbage.headers["if-match"] = "\"abc\"";
  problem_of(send(garbage), 412);
  auto fresh = request("PATCH", path, R"({"title":"New"})");
  fresh.headers["if-match"] = "\"1\"";
  auto edited = send(fresh);
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(header(edited, "ETag"), "\"2\"");
  EXPECT_EQ(json::parse(edited.body).at("title"), "New");
}

TEST_F(Dispatch, ARequestOthersMayNotSeeIs404) {
  auto created = send(request("POST", "/api/v1/exceptions", valid_draft()));
  const auto path =
      "/api/v1/exceptions/" + std::to_string(json::parse(created.body).at("id").get<long long>());
  auto other = *app::create_token(services_, "owner@x.test", "t", "test");
  EXPECT_EQ(send(request("GET", path), other).status, 200);  // owns the policy
  app::import_organisation(
      services_, {{"users", {{{"email", "eve@x.test"}, {"name", "Eve"}, {"department", "Sales"}}}}}, "test");
  auto eve = *app::create_token(services_, "eve@x.test", "t", "test");
  problem_of(send(request("GET", path), eve), 404);
  problem_of(send(request("PATCH", path, R"({"title":"mine"})"), eve), 404);
  problem_of(send(request("GET", "/api/v1/exceptions/999999")), 404);
}

TEST_F(Dispatch, AuditVerifyIsForAuditors) {
  problem_of(send(request("GET", "/api/v1/audit/verify")), 403);
  auto r = send(request("GET", "/api/v1/audit/verify"), auditor_token_);
  ASSERT_EQ(r.status, 200);
  auto body = json::parse(r.body);
  EXPECT_EQ(body.at("ok"), true);
  EXPECT_GE(body.at("events").get<int>(), 3);  // import and two tokens
}

TEST_F(Dispatch, RegisterQueryParametersAreChecked) {
  for (const char* q : {"limit", "status", "risk_level", "cursor", "colour"}) {
    SCOPED_TRACE(q);
    auto req = request("GET", "/api/v1/exceptions");
    req.query.emplace(q, q == std::string("limit") ? "0" : "bogus");
    auto p = problem_of(send(req), 422);
    EXPECT_TRUE(fields_of(p).contains(q));
  }
}

// ---- a failing store is 503, not a crash -------------------------------------------------------

class BrokenStore final : public app::Store {
 public:
  std::unique_ptr<app::UnitOfWork> begin_write() override { throw std::runtime_error("disk on fire"); }
  std::unique_ptr<app::UnitOfWork> begin_read() override { throw std::runtime_error("disk on fire"); }
  app::VerifyResult verify_audit() override { throw std::runtime_error("disk on fire"); }
  std::string readiness() override { throw std::runtime_error("disk on fire"); }
  void export_audit(const std::function<void(const app::AuditEvent&)>&) override {
    throw std::runtime_error("disk on fire");
  }
  app::PoolStats pool_stats() const override { return {}; }
};

TEST(DispatchFailure, AnExceptionInAHandlerIs503ProblemJson) {
  BrokenStore store;
  FixedClock clock;
  app::Services services{store, clock, {}};
  Context ctx{services, {}};
  auto req = request("GET", "/api/v1/exceptions");
  req.headers["authorization"] = "Bearer wvr_anything";
  auto r = dispatch(ctx, req);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = json::parse(r.body);
  EXPECT_EQ(body.at("status"), 503);
  EXPECT_EQ(body.at("detail").get<std::string>().find("fire"), std::string::npos) << "no internals leak";
  // Endpoints that need no store still answer.
  auto health = request("GET", "/api/v1/health");
  EXPECT_EQ(dispatch(ctx, health).status, 200);
}

// ---- CSV -------------------------------------------------------------------------------------

TEST(Csv, CellsThatASpreadsheetWouldEvaluateAreNeutralised) {
  EXPECT_EQ(csv_cell("=1+1"), "'=1+1");
  EXPECT_EQ(csv_cell("+1"), "'+1");
  EXPECT_EQ(csv_cell("-1"), "'-1");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_cell("\tx"), "'\tx");
  EXPECT_EQ(csv_cell("\rx"), "\"'\rx\"");
  EXPECT_EQ(csv_cell("=HYPERLINK(\"http://e\",\"x\")"), "\"'=HYPERLINK(\"\"http://e\"\",\"\"x\"\")\"");
}

TEST(Csv, CommasQuotesAndNewlinesAreQuoted) {
  EXPECT_EQ(csv_cell("plain text"), "plain text");
  EXPECT_EQ(csv_cell(""), "");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_cell("a\r\nb"), "\"a\r\nb\"");
  EXPECT_EQ(csv_cell("a=b"), "a=b");  // only a leading sign is dangerous
}

TEST_F(Dispatch, TheCsvExportHoldsTheVisibleRequestsWithNeutralisedCells) {
  ASSERT_EQ(send(request("POST", "/api/v1/exceptions",
                         R"({"title":"=cmd|' /C calc'!A0","policy_id":"access-control"})"))
                .status,
            201);
  auto r = send(request("GET", "/api/v1/exceptions/export"));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("ref,status,title,"));
  EXPECT_NE(r.body.find(",'=cmd|' /C calc'!A0,"), std::string::npos) << r.body;
  EXPECT_EQ(header(r, "Content-Disposition"), "attachment; filename=\"waiver-register.csv\"");
  auto pdf = request("GET", "/api/v1/exceptions/export");
  pdf.query.emplace("format", "pdf");
  EXPECT_EQ(fields_of(problem_of(send(pdf), 422)), std::set<std::string>{"format"});
  // The same register as a workbook: a ZIP file, its text cells never formulas (tests/api checks the cells).
  auto xlsx = request("GET", "/api/v1/exceptions/export");
  xlsx.query.emplace("format", "xlsx");
  auto book = send(xlsx);
  ASSERT_EQ(book.status, 200);
  EXPECT_EQ(book.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_TRUE(book.body.starts_with("PK"));
  EXPECT_EQ(header(book, "Content-Disposition"), "attachment; filename=\"waiver-register.xlsx\"");
}

}  // namespace
}  // namespace waiver::http
