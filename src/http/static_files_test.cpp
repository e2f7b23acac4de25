#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/support.hpp"

namespace waiver::http {
namespace {

namespace fs = std::filesystem;

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

HttpRequest get(const std::string& path) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  return r;
}

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    write(root / "index.html", "<!doctype html><title>Waiver</title>");
    write(root / "assets" / "index-Ab12Cd.js", "console.log(1)");
    write(root / "assets" / "index-Ab12Cd.css", "body{}");
    write(root / "favicon.svg", "<svg/>");
    write(dir.file("secret.txt"), "outside");
    write(root / ".env", "hidden");
  }
  testing::TempDir dir{"waiver-static"};
  fs::path root = dir.file("dist");
};

TEST_F(StaticFiles, ServesIndexAtTheRootWithoutCaching) {
  auto r = serve_static(root, get("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<!doctype html><title>Waiver</title>");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_FALSE(header(r, "ETag").empty());
}

TEST_F(StaticFiles, HashedAssetsAreCachedForAYearAsImmutable) {
  auto js = serve_static(root, get("/assets/index-Ab12Cd.js"));
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  auto css = serve_static(root, get("/assets/index-Ab12Cd.css"));
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
}

TEST_F(StaticFiles, OtherFilesAreRevalidated) {
  auto r = serve_static(root, get("/favicon.svg"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "image/svg+xml");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
}

TEST_F(StaticFiles, EveryAnswerCarriesTheStrictContentSecurityPolicy) {
  for (const auto* path : {"/", "/requests/12", "/assets/index-Ab12Cd.js", "/missing.js", "/../secret.txt"}) {
    const auto csp = header(serve_static(root, get(path)), "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << path;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << path;
  }
}

TEST_F(StaticFiles, UnknownPathsWithoutExtensionGetThePage) {
  for (const auto* path : {"/register", "/requests/EXC-2026-0001", "/approvals/", "/a/b/c"}) {
    auto r = serve_static(root, get(path));
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache") << path;
  }
}

TEST_F(StaticFiles, MissingFilesWithAnExtensionAre404) {
  auto r = serve_static(root, get("/assets/gone-123.js"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
}

TEST_F(StaticFiles, PathTraversalNeverLeavesTheRoot) {
  for (const auto* path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                           "/%2E%2E/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt",
                           "/assets/..%2F..%2Fsecret.txt", "/..%5csecret.txt", "/%00index.html",
                           "/index.html%00.js", "/.env", "/%2eenv", "/./index.html", "/%zz.js"}) {
    auto r = serve_static(root, get(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("outside"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("hidden"), std::string::npos) << path;
  }
}

TEST_F(StaticFiles, SymbolicLinksOutOfTheRootAreNotFollowed) {
  fs::create_symlink(dir.file("secret.txt"), root / "link.txt");
  auto r = serve_static(root, get("/link.txt"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.find("outside"), std::string::npos);
}

TEST_F(StaticFiles, AMatchingETagIsNotModified) {
  const auto etag = header(serve_static(root, get("/assets/index-Ab12Cd.js")), "ETag");
  auto req = get("/assets/index-Ab12Cd.js");
  req.headers["if-none-match"] = etag;
  auto r = serve_static(root, req);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  req.headers["if-none-match"] = "\"other\"";
  EXPECT_EQ(serve_static(root, req).status, 200);
}

TEST_F(StaticFiles, HeadHasNoBodyAndOtherMethodsAre405) {
  auto head = get("/");
  head.method = "HEAD";
  auto r = serve_static(root, head);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  auto post = get("/register");
  post.method = "POST";
  auto refused = serve_static(root, post);
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(header(refused, "Allow"), "GET, HEAD");
  EXPECT_EQ(refused.content_type, "application/problem+json");
  EXPECT_NE(refused.body.find("\"status\":405"), std::string::npos);
}

TEST_F(StaticFiles, WithoutABuiltInterfaceTheAnswerSaysHowToBuildIt) {
  auto r = serve_static(dir.file("nothing-here"), get("/"));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("make web"), std::string::npos);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(serve_static(fs::path(), get("/")).status, 404);
}

TEST(StaticPaths, OnlyApiPathsGoToTheApi) {
  EXPECT_TRUE(is_api_path("/api"));
  EXPECT_TRUE(is_api_path("/api/v1/health"));
  EXPECT_TRUE(is_api_path("/api/v2"));
  EXPECT_FALSE(is_api_path("/"));
  EXPECT_FALSE(is_api_path("/apis"));
  EXPECT_FALSE(is_api_path("/register"));
}

TEST(StaticPaths, ContentTypesFollowTheExtension) {
  EXPECT_EQ(content_type_for("a.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("x.png"), "image/png");
  EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace waiver::http
