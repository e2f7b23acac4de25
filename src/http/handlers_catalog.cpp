// Handlers for the policy catalog and the approval matrix, and for what a browser needs to know
// before signing in.
#include "app/catalog.hpp"
#include "app/organisation_json.hpp"
#include "cli/yaml_json.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"

namespace waiver::http {
namespace {

// A YAML document is read only up to this size: its aliases can make a small text a large value.
constexpr std::size_t kMaxYaml = 256 * 1024;

bool is_yaml(const HttpRequest& req) {
  auto ct = req.header("content-type");
  return ct && ct->find("yaml") != std::string::npos;
}

app::Outcome<json> read_yaml(const std::string& text, const char* field) {
  if (text.size() > kMaxYaml)
    return app::fail(app::Error::Kind::too_large,
                     "the YAML is larger than " + std::to_string(kMaxYaml) + " bytes");
  try {
    return cli::yaml_to_json(text);
  } catch (const std::exception& e) {
    if (!*field) return app::fail(app::Error::Kind::bad_request, e.what());
    return app::fail(app::Error{app::Error::Kind::invalid, "the YAML cannot be read", {{field, e.what()}}});
  }
}

// The matrix document from a PUT: a YAML body (Content-Type: application/yaml), a JSON body
// {yaml: "…"} (what a form sends), or the matrix itself as JSON.
app::Outcome<json> matrix_document(Context& ctx, const HttpRequest& req) {
  if (is_yaml(req)) {
    if (req.body.size() > ctx.limits.max_body)
      return app::fail(app::Error::Kind::too_large,
                       "the body is larger than " + std::to_string(ctx.limits.max_body) + " bytes");
    return read_yaml(req.body, "");
  }
  auto body = json_body(ctx, req, false);
  if (!body) return body;
  if (body->contains("yaml")) {
    if (body->size() != 1 || !body->at("yaml").is_string())
      return app::fail(app::Error{app::Error::Kind::invalid,
                                  "the body is {yaml} alone or the matrix",
                                  {{"yaml", "must be the matrix as YAML text, alone in the body"}}});
    return read_yaml(body->at("yaml").get<std::string>(), "yaml");
  }
  return body;
}

// The matrix with its keys in the order people read it: default before rules; when, set,
// require in a rule; slot first in a required slot.
nlohmann::ordered_json readable(const json& v) {
  static const std::vector<std::string> kOrder{"default", "rules",   "first_approval", "max_days", "when",
                                               "set",     "require", "slot",           "role",     "user"};
  if (v.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& x : v) out.push_back(readable(x));
    return out;
  }
  if (!v.is_object()) return nlohmann::ordered_json::parse(v.dump());
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& k : kOrder)
    if (v.contains(k)) out[k] = readable(v.at(k));
  for (const auto& [k, x] : v.items())
    if (!out.contains(k)) out[k] = readable(x);
  return out;
}

HttpResponse matrix_response(const app::StoredMatrix& m, int status) {
  const json doc = app::to_json(m.matrix);
  auto r = json_response(
      status, {{"version", m.version}, {"matrix", doc}, {"yaml", cli::json_to_yaml(readable(doc))}});
  r.headers.emplace_back("ETag", "\"" + std::to_string(m.version) + "\"");
  return r;
}

}  // namespace

HttpResponse list_policies(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto list = app::list_policies(ctx.services, *actor);
  if (!list) return problem(list.error());
  return json_response(200, {{"items", *list}});
}

HttpResponse create_policy(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::save_policy(ctx.services, *actor, "", *body, true), 201);
}

HttpResponse update_policy(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto body = json_body(ctx, req, false);
  if (!body) return problem(body.error());
  return answer(app::save_policy(ctx.services, *actor, req.params.at("id"), *body, false));
}

HttpResponse get_matrix(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  auto m = app::current_matrix(ctx.services, *actor);
  if (!m) return problem(m.error());
  return matrix_response(*m, 200);
}

HttpResponse put_matrix(Context& ctx, const HttpRequest& req) {
  auto actor = authenticate(ctx, req);
  if (!actor) return problem(actor.error());
  if (!actor->has(domain::Role::admin))
    return problem(app::Error::Kind::forbidden, "only admins change the approval matrix");
  auto doc = matrix_document(ctx, req);
  if (!doc) return problem(doc.error());
  auto change = app::replace_matrix(ctx.services, *actor, *doc, if_match(req));
  if (!change) return problem(change.error());
  return matrix_response(change->stored, 200);
}

HttpResponse session_options(Context& ctx, const HttpRequest&) {
  return json_response(200, {{"password", true}, {"oidc", !ctx.oidc.issuer.empty()}});
}

}  // namespace waiver::http
