#include "http/idempotency.hpp"

#include <nlohmann/json.hpp>

#include "app/idempotency.hpp"
#include "app/secrets.hpp"
#include "http/problem.hpp"

namespace waiver::http {
namespace {

using nlohmann::json;

// Answers that carry a secret shown once (a session cookie, a token, a webhook's or a feed's
// secret) are not kept: a retry learns that the request was made, not the secret.
bool answer_holds_secret(const std::string& route) {
  return route == "/session" || route == "/tokens" || route == "/webhooks" || route == "/me/calendar";
}

bool sane_key(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// Who is asking, without authenticating: the credential the request carries, hashed.
std::string scope_of(const HttpRequest& req) {
  if (auto a = req.header("authorization")) return "auth:" + app::sha256_hex(*a);
  if (auto c = req.cookie(kSessionCookie)) return "session:" + app::sha256_hex(*c);
  return "address:" + req.remote_address;
}

HttpResponse replay(const app::IdempotentAnswer& a) {
  HttpResponse r;
  r.status = *a.status;
  r.content_type = a.content_type;
  r.body = a.body;
  for (const auto& h : json::parse(a.headers.empty() ? "[]" : a.headers, nullptr, false))
    if (h.is_array() && h.size() == 2)
      r.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

}  // namespace

HttpResponse idempotent(Context& ctx, const HttpRequest& req, Handler handler) {
  const std::string key = *req.header("idempotency-key");
  if (!sane_key(key))
    return problem(app::Error{app::Error::Kind::bad_request,
                              "Idempotency-Key must be 1 to 255 printable ASCII characters",
                              {{"Idempotency-Key", "1 to 255 printable ASCII characters"}}});
  auto& store = ctx.services.store;
  const auto now = ctx.services.clock.now();
  app::IdempotencyClaim claim{scope_of(req), key,
                              app::sha256_hex(req.method + "\n" + req.path + "\n" + req.body), now,
                              domain::Instant{now.seconds - ctx.idempotency_hours * 3600LL}};
  const auto first = store.begin_read()->idempotent_answer(claim.scope, key);
  if (first && first->created_at.seconds >= claim.expired_before.seconds) {
    if (first->request_hash != claim.request_hash)
      return problem(app::Error{app::Error::Kind::invalid,
                                "this Idempotency-Key was used for another request (method, path or body "
                                "differ): use a new key for a new request",
                                {{"Idempotency-Key", "already used for another request"}}});
    if (first->status) return replay(*first);
    return problem(app::Error::Kind::conflict,
                   "the first request with this Idempotency-Key is still running, or its change was made and "
                   "its answer lost: read the resource to see its state");
  }

  HttpResponse r;
  try {
    app::IdempotencyScope scope(claim);
    r = handler(ctx, req);
  } catch (...) {
    if (!claim.taken) throw;
    r = problem(app::Error::Kind::unavailable, "");
  }
  if (claim.taken)
    return problem(
        app::Error::Kind::conflict,
        "another request with this Idempotency-Key was made at the same moment; it was done once, and "
        "this one undone: retry to get its answer");
  if (r.status >= 500) return r;  // nothing kept: a retry runs again (a committed change holds the key)

  app::IdempotentAnswer answer{claim.request_hash, now, r.status, r.content_type, "", r.body};
  json headers = json::array();
  for (const auto& [name, value] : r.headers)
    if (name != "Set-Cookie") headers.push_back({name, value});
  answer.headers = headers.dump();
  if (answer_holds_secret(req.route) && r.status < 300) {
    auto kept =
        problem(app::Error::Kind::conflict,
                "this request was made already with this Idempotency-Key; its answer held a secret that "
                "is shown once and not kept");
    answer.status = kept.status;
    answer.content_type = kept.content_type;
    answer.body = kept.body;
    answer.headers = "[]";
  }
  auto uow = store.begin_write();
  uow->purge_idempotency_keys(claim.expired_before);
  uow->record_idempotent_answer(claim.scope, key, answer);
  uow->commit();
  return r;
}

}  // namespace waiver::http
