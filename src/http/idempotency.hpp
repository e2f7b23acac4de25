// Idempotency-Key on POST: a retry with the same key by the same caller gets the first answer and
// changes nothing twice (app/idempotency.hpp has the claim; docs/api.md the rules).
#pragma once
#include "http/routes.hpp"

namespace waiver::http {

// Runs `handler` for a POST that carries an Idempotency-Key, or replays the first answer.
HttpResponse idempotent(Context& ctx, const HttpRequest& req, Handler handler);

}  // namespace waiver::http
