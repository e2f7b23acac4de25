// The route table against the OpenAPI document: every route documented, every documented
// operation routed, and the embedded copy the same as the source file.
#include "http/routes.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace waiver::http {
namespace {

using nlohmann::json;
using Operation = std::pair<std::string, std::string>;  // (METHOD, openapi path)

json document() { return json::parse(openapi_document()); }

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const std::set<std::string> kMethods{"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::set<Operation> documented_operations(const json& doc) {
  std::set<Operation> out;
  for (const auto& [path, item] : doc.at("paths").items())
    for (const auto& [key, op] : item.items())
      if (kMethods.contains(key)) out.emplace(upper(key), path);
  return out;
}

std::set<Operation> routed_operations() {
  std::set<Operation> out;
  for (const auto& r : routes()) out.emplace(r.method, r.openapi);
  return out;
}

// Resolves a local "$ref" (#/components/...) or returns the value itself.
const json& resolve(const json& doc, const json& value) {
  if (!value.is_object() || !value.contains("$ref")) return value;
  const auto ref = value.at("$ref").get<std::string>();
  return doc.at(json::json_pointer(ref.substr(1)));
}

TEST(OpenApi, TheEmbeddedDocumentIsOpenApi31) {
  const auto doc = document();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_TRUE(doc.at("info").contains("title"));
  EXPECT_TRUE(doc.at("info").contains("version"));
  EXPECT_EQ(doc.at("servers").at(0).at("url"), "/api/v1");
}

TEST(OpenApi, TheEmbeddedDocumentIsTheSourceFile) {
  std::ifstream in(WAIVER_OPENAPI_FILE);
  ASSERT_TRUE(in) << WAIVER_OPENAPI_FILE;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(json::parse(text.str()), document());
}

TEST(Routes, EveryRouteIsDocumentedAndEveryDocumentedOperationIsRouted) {
  const auto documented = documented_operations(document());
  const auto routed = routed_operations();
  for (const auto& op : routed)
    EXPECT_TRUE(documented.contains(op)) << op.first << " " << op.second << " is not in openapi.json";
  for (const auto& op : documented)
    EXPECT_TRUE(routed.contains(op)) << op.first << " " << op.second << " is documented but not routed";
  EXPECT_EQ(routed.size(), routes().size()) << "a (method, path) is routed twice";
}

TEST(Routes, EachPatternIsItsOpenApiPathWithColonParameters) {
  const std::regex param(R"(\{([a-z_]+)\})");
  for (const auto& r : routes()) {
    SCOPED_TRACE(std::string(r.method) + " " + r.pattern);
    EXPECT_EQ(std::regex_replace(std::string(r.openapi), param, ":$1"), r.pattern);
    EXPECT_TRUE(std::string(r.pattern).starts_with("/"));
    EXPECT_NE(r.handler, nullptr);
    EXPECT_TRUE(kMethods.contains([&] {
      std::string m = r.method;
      for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return m;
    }()));
  }
}

TEST(Routes, FixedPathsComeBeforePatternsThatWouldMatchThem) {
  // /exceptions/export must be tried before /exceptions/:id.
  std::size_t export_at = 0, id_at = 0;
  const auto all = routes();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (std::string(all[i].pattern) == "/exceptions/export") export_at = i;
    if (std::string(all[i].method) == "GET" && std::string(all[i].pattern) == "/exceptions/:id") id_at = i;
  }
  EXPECT_LT(export_at, id_at);
}

TEST(OpenApi, EveryPathParameterIsDeclared) {
  const auto doc = document();
  const std::regex param(R"(\{([a-z_]+)\})");
  for (const auto& [path, item] : doc.at("paths").items()) {
    std::set<std::string> in_path;
    for (std::sregex_iterator it(path.begin(), path.end(), param), end; it != end; ++it)
      in_path.insert((*it)[1]);
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.contains(method)) continue;
      std::set<std::string> declared;
      for (const auto* list : {&item, &op})
        if (list->contains("parameters"))
          for (const auto& p : list->at("parameters")) {
            const auto& param_def = resolve(doc, p);
            if (param_def.at("in") == "path") declared.insert(param_def.at("name"));
          }
      EXPECT_EQ(declared, in_path) << method << " " << path;
    }
  }
}

TEST(OpenApi, EveryReferenceResolves) {
  const auto doc = document();
  std::vector<std::string> broken;
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_object()) {
      if (j.contains("$ref") && j.at("$ref").is_string()) {
        const auto ref = j.at("$ref").get<std::string>();
        if (!ref.starts_with("#/") || !doc.contains(json::json_pointer(ref.substr(1)))) broken.push_back(ref);
      }
      for (const auto& [k, v] : j.items()) walk(v);
    } else if (j.is_array()) {
      for (const auto& v : j) walk(v);
    }
  };
  walk(doc);
  EXPECT_TRUE(broken.empty()) << broken.front();
}

TEST(OpenApi, EveryOperationHasAnIdAndResponses) {
  const auto doc = document();
  std::set<std::string> ids;
  for (const auto& [path, item] : doc.at("paths").items())
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.contains(method)) continue;
      SCOPED_TRACE(method + " " + path);
      ASSERT_TRUE(op.contains("operationId"));
      EXPECT_TRUE(ids.insert(op.at("operationId")).second) << "duplicate operationId";
      EXPECT_FALSE(op.at("responses").empty());
    }
}

}  // namespace
}  // namespace waiver::http
