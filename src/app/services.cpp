#include "app/services.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "app/organisation_json.hpp"
#include "app/request_json.hpp"
#include "app/request_text.hpp"
#include "app/secrets.hpp"
#include "domain/approvals.hpp"
#include "domain/matrix.hpp"
#include "domain/state_machine.hpp"
#include "domain/validation.hpp"

namespace waiver::app {
namespace {

using domain::Actor;
using domain::ExceptionRequest;

std::optional<Id> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return std::stoll(text);
}

// The request, if it exists and the actor may see it; 404 otherwise.
Outcome<ExceptionRequest> load_visible(UnitOfWork& uow, const Actor& a, const std::string& id) {
  std::optional<ExceptionRequest> r;
  if (auto n = parse_id(id))
    r = uow.find(*n);
  else if (id.starts_with("EXC-") && id.size() < 40)
    r = uow.find_by_ref(id);
  if (!r || !domain::can_see(a, *r))
    return fail(Error::Kind::not_found, "no exception request " + id + " that you may see");
  return *r;
}

// How often the line of `parent` was extended, and whether an extension of it is under way.
domain::ExtensionLine extension_line(Services& s, UnitOfWork& uow, const ExceptionRequest& parent) {
  domain::ExtensionLine line;
  line.max_extensions = s.notifications.max_extensions;
  for (auto up = parent.parent_id; up && line.depth <= line.max_extensions; ++line.depth) {
    auto p = uow.find(*up);
    up = p ? p->parent_id : std::nullopt;
  }
  using S = domain::Status;
  for (Id child : parent.extension_ids)
    if (auto c = uow.find(child); c && (domain::is_undecided(c->status) || c->status == S::appeal_legal ||
                                        c->status == S::appeal_executive))
      line.one_in_progress = true;
  return line;
}

RequestView view_of(Services& s, UnitOfWork& uow, const Actor& a, ExceptionRequest r, bool detailed) {
  RequestView v;
  v.allowed_actions = domain::allowed_actions(a, r, s.clock.now(), s.settings);
  // `extend` is offered only when an extension would be accepted: not at the line's limit, not
  // while another is under way (the requester's own active requests only, so rarely read).
  if (auto it = std::find(v.allowed_actions.begin(), v.allowed_actions.end(), "extend");
      it != v.allowed_actions.end() && !domain::may_extend(extension_line(s, uow, r)))
    v.allowed_actions.erase(it);
  if (detailed) {
    auto notes = uow.notes(r.id);
    v.inputs = std::move(notes["input"]);
    v.reviews = std::move(notes["review"]);
  }
  v.detailed = detailed;
  auto name = [&](const std::string& email) {
    if (email.empty() || v.names.contains(email)) return;
    if (auto u = uow.user(email)) v.names[email] = u->name;
  };
  for (const auto& slot : r.approvals) {
    name(slot.by);
    for (const auto& e : slot.eligible) name(e);
  }
  for (const auto& n : v.inputs) name(n.by);
  for (const auto& n : v.reviews) name(n.by);
  v.request = std::move(r);
  return v;
}

AuditRecord record_for(const ExceptionRequest& r, const std::string& actor, const std::string& action,
                       Instant at) {
  AuditRecord e;
  e.at = at;
  e.actor = actor;
  e.action = action;
  e.entity_type = "exception";
  e.entity_id = std::to_string(r.id);
  e.ref = r.ref;
  return e;
}

std::string snapshot(const ExceptionRequest& r) {
  std::string out;
  append_json(out, r);
  return out;
}

// Writes a changed request with its audit event; false when another writer got there first.
Outcome<void> save(Services& s, UnitOfWork& uow, ExceptionRequest& r, const ExceptionRequest& before,
                   const std::string& actor, const std::string& action, Instant now, json data) {
  r.version = before.version + 1;
  r.updated_at = now;
  // Another instance changed it between our read and our write: the loser of a race gets 409,
  // like one who came a moment later (412 when it sent If-Match: see act()).
  if (!uow.update(r, before))
    return fail(Error::Kind::conflict, "the request was changed by someone else meanwhile; read it again");
  auto e = record_for(r, actor, action, now);
  e.before = snapshot(before);
  e.after = snapshot(r);
  if (!data.is_null()) e.data = data.dump();
  uow.append(e);
  const std::string slot =
      data.is_object() && data.contains("slot") ? data.at("slot").get<std::string>() : "";
  notify_step(uow, s.notifications, {before, r, action, actor, slot}, data, now);
  return {};
}

// After a commit that may have queued notifications.
void committed(Services& s) {
  if (s.on_queued) s.on_queued();
}

// When an extension becomes active, its parent is superseded.
Outcome<void> supersede_parent(Services& s, UnitOfWork& uow, const ExceptionRequest& r,
                               const std::string& actor, Instant now) {
  if (r.status != domain::Status::active || !r.parent_id) return {};
  auto parent = uow.find(*r.parent_id);
  if (!parent || parent->status != domain::Status::active) return {};
  ExceptionRequest before = *parent;
  if (!domain::supersede(*parent)) return {};
  return save(s, uow, *parent, before, actor, "supersede", now, json{{"by_extension", r.ref}});
}

// The common shape of an action on an existing request.
template <typename Rule>
Outcome<RequestView> act(Services& s, const Actor& a, const ActionInput& in, const std::string& action,
                         Rule&& rule) {
  auto uow = s.store.begin_write();
  auto r = load_visible(*uow, a, in.id);
  if (!r) return fail(r.error());
  if (in.if_match && *in.if_match != r->version)
    return fail(Error::Kind::precondition_failed, "If-Match names version " + std::to_string(*in.if_match) +
                                                      " but the request is at version " +
                                                      std::to_string(r->version));
  const ExceptionRequest before = *r;
  const Instant now = s.clock.now();
  json data;
  Outcome<void> applied = rule(*r, *uow, now, data);
  if (!applied) return fail(applied.error());
  if (auto ok = save(s, *uow, *r, before, a.email, action, now, data); !ok) {
    Error e = ok.error();
    if (in.if_match) e.kind = Error::Kind::precondition_failed;  // the version it named is gone
    return fail(e);
  }
  if (auto ok = supersede_parent(s, *uow, *r, a.email, now); !ok) return fail(ok.error());
  uow->commit();
  committed(s);
  return view_of(s, *uow, a, std::move(*r), true);
}

Outcome<void> from(const domain::Result<void>& r) {
  if (!r) return fail(Error::from(r.error()));
  return {};
}

Outcome<void> only_fields(const json& body, std::set<std::string> allowed) {
  BodyReader in(body, std::move(allowed));
  if (auto r = in.refusal("the body is invalid")) return fail(Error::from(*r));
  return {};
}

// Reads the named string fields of a body that may hold only those.
Outcome<std::vector<std::string>> texts(const json& body, std::initializer_list<const char*> keys) {
  std::set<std::string> allowed(keys.begin(), keys.end());
  BodyReader in(body, allowed);
  std::vector<std::string> out;
  for (const char* k : keys) out.push_back(in.text(k));
  if (auto r = in.refusal("the body is invalid")) return fail(Error::from(*r));
  return out;
}

domain::MatrixSubject subject_of(const domain::RequestContent& c, const std::optional<domain::Policy>& p) {
  return {c.type, c.policy_id, c.data_classification,
          p ? std::optional<domain::PolicyKind>(p->kind) : std::nullopt};
}

// The approvals a request would get now, with the matrix version and outcome.
struct Routing {
  domain::MatrixOutcome outcome;
  std::int64_t matrix_version = 0;
  domain::Result<std::vector<domain::ApprovalSlot>> approvals;
};

Outcome<Routing> route(UnitOfWork& uow, const std::string& requester, const std::string& department,
                       const domain::RequestContent& c) {
  auto policy = uow.policy(c.policy_id);
  if (!policy)
    return fail(
        Error{Error::Kind::invalid, "unknown policy", {{"policy_id", "is not a policy of the catalog"}}});
  auto stored = uow.matrix();
  const domain::Matrix matrix = stored ? stored->matrix : domain::Matrix{};
  auto outcome = domain::evaluate(matrix, subject_of(c, policy));
  domain::ApprovalContext ctx;
  ctx.requester = requester;
  if (auto d = department.empty() ? std::nullopt : uow.department(department)) ctx.department_head = d->head;
  ctx.policy = *policy;
  for (auto role : {domain::Role::security_compliance, domain::Role::legal, domain::Role::ceo,
                    domain::Role::cfo, domain::Role::auditor, domain::Role::admin})
    ctx.members[role] = uow.role_members(role);
  ctx.known_users = uow.user_emails();
  auto approvals = domain::compute_approvals(outcome, ctx);
  return Routing{outcome, stored ? stored->version : 0, std::move(approvals)};
}

}  // namespace

json to_json(const RequestView& v) {
  json j = to_json(v.request);
  j["allowed_actions"] = v.allowed_actions;
  auto name_of = [&](const std::string& email) -> json {
    auto it = v.names.find(email);
    return it == v.names.end() ? json(nullptr) : json(it->second);
  };
  for (auto& slot : j["approvals"]) {
    slot["by_name"] = slot["by"].is_string() ? name_of(slot["by"].get<std::string>()) : json(nullptr);
    json names = json::array();
    for (const auto& e : slot["eligible"]) names.push_back(name_of(e.get<std::string>()));
    slot["eligible_names"] = names;
  }
  auto with_name = [&](json x, const std::string& by) {
    x["by_name"] = name_of(by);
    return x;
  };
  if (v.detailed) {
    json inputs = json::array();
    for (const auto& n : v.inputs) inputs.push_back(with_name(to_json(n, "body"), n.by));
    json reviews = json::array();
    for (const auto& n : v.reviews) reviews.push_back(with_name(to_json(n, "notes"), n.by));
    j["inputs"] = inputs;
    j["reviews"] = reviews;
  } else {
    j.erase("invitations");
  }
  return j;
}

Outcome<domain::Actor> actor_for_token(Services& s, Reading& reading, const std::string& token) {
  if (token.empty() || token.size() > 200)
    return fail(Error::Kind::unauthorized, "a valid API token is required");
  const Instant now = s.clock.now();
  std::optional<ApiToken> t = reading.uow().token_by_hash(sha256_hex(token), now);
  std::optional<domain::Actor> a = t ? reading.uow().actor(t->user) : std::nullopt;
  if (!t) return fail(Error::Kind::unauthorized, "the API token is unknown, expired or revoked");
  if (!a) return fail(Error::Kind::unauthorized, "the token's user no longer exists");
  if (!t->last_used_at || now.seconds - t->last_used_at->seconds >= 60) {  // one write a minute at most
    reading.end();
    auto uow = s.store.begin_write();
    uow->touch_token(t->id, now);
    uow->commit();
  }
  return *a;
}

Outcome<domain::Actor> actor_for_token(Services& s, const std::string& token) {
  Reading reading(s.store);
  return actor_for_token(s, reading, token);
}

Outcome<RequestView> create_request(Services& s, const Actor& a, const json& body) {
  ExceptionRequest r;
  if (auto ok = apply_content(r.content, body); !ok) return fail(Error::from(ok.error()));
  if (auto errors = domain::validate_draft(r.content); !errors.empty())
    return fail(Error{Error::Kind::invalid, "the request is invalid", errors});
  auto uow = s.store.begin_write();
  if (!uow->policy(r.content.policy_id))
    return fail(
        Error{Error::Kind::invalid, "unknown policy", {{"policy_id", "is not a policy of the catalog"}}});
  const Instant now = s.clock.now();
  r.requester = a.email;
  r.requester_name = a.name;
  r.department = a.department;
  r.created_at = now;
  r.updated_at = now;
  uow->insert(r);
  auto e = record_for(r, a.email, "create", now);
  e.after = snapshot(r);
  uow->append(e);
  notify_step(*uow, s.notifications, {std::nullopt, r, "create", a.email, ""}, json::object(), now);
  uow->commit();
  committed(s);
  return view_of(s, *uow, a, std::move(r), true);
}

Outcome<RequestView> get_request(Services& s, Reading& reading, const Actor& a, const std::string& id) {
  auto r = load_visible(reading.uow(), a, id);
  if (!r) return fail(r.error());
  return view_of(s, reading.uow(), a, std::move(*r), true);
}

std::string sort_key(const ExceptionRequest& r, const std::string& sort) {
  auto instant = [](const std::optional<Instant>& i) {
    return i ? domain::format_instant(*i) : std::string();
  };
  if (sort == "created_at") return domain::format_instant(r.created_at);
  if (sort == "updated_at") return domain::format_instant(r.updated_at);
  if (sort == "submitted_at") return instant(r.submitted_at);
  if (sort == "ref") return r.ref;
  if (sort == "title") return r.content.title;
  if (sort == "status") return std::string(domain::to_string(r.status));
  if (sort == "risk_level") {
    if (!r.risk_level) return "0";
    switch (*r.risk_level) {
      case domain::RiskLevel::low: return "1";
      case domain::RiskLevel::medium: return "2";
      case domain::RiskLevel::high: return "3";
      case domain::RiskLevel::critical: return "4";
    }
    return "0";
  }
  if (sort == "end_on") {
    if (r.decision_end_on) return domain::format_date(*r.decision_end_on);
    return r.content.end_on ? domain::format_date(*r.content.end_on) : std::string();
  }
  return std::to_string(r.id);
}

namespace {

// What an approvals inbox lists: a slot the caller may fill now, a legal opinion, a disposition.
bool waiting_for_caller(const RequestView& v) {
  return std::any_of(v.allowed_actions.begin(), v.allowed_actions.end(), [](const std::string& x) {
    return x.starts_with("decide:") || x == "legal_opinion" || x == "disposition";
  });
}

}  // namespace

Outcome<Page> list_requests(Services& s, Reading& reading, const Actor& a, const ListFilter& filter) {
  ListFilter f = filter;
  if (f.within_days) f.ends_by = domain::add_days(domain::date_of(s.clock.now()), *f.within_days);
  const bool waiting = !f.waiting_for.empty();
  if (waiting && f.status.empty())
    f.status = {domain::Status::department_review, domain::Status::policy_review,
                domain::Status::appeal_legal, domain::Status::appeal_executive};
  UnitOfWork* uow = &reading.uow();
  // Without waiting_for, one read of limit + 1 rows. With it, the rows the caller cannot act on
  // are dropped after reading, so reads go on, page by page, until limit + 1 are kept.
  ListFilter q = f;
  if (waiting) q.limit = 200;
  std::vector<RequestView> kept;
  for (;;) {
    auto rows = uow->list(q, a);
    const bool more = static_cast<int>(rows.size()) > q.limit;
    // Reading on: the extra row comes again at the head of the next read.
    if (waiting && more) rows.resize(static_cast<std::size_t>(q.limit));
    if (rows.empty()) break;
    const Id last_id = rows.back().id;
    const std::string last_key = sort_key(rows.back(), f.sort);
    for (auto& r : rows) {
      auto v = view_of(s, *uow, a, std::move(r), false);
      if (waiting && !waiting_for_caller(v)) continue;
      kept.push_back(std::move(v));
    }
    if (!waiting || !more || static_cast<int>(kept.size()) > f.limit) break;
    if (f.sort.empty()) {
      q.before_id = last_id;
    } else {
      q.after_key = last_key;
      q.after_id = last_id;
    }
  }
  Page page;
  if (static_cast<int>(kept.size()) > f.limit) {
    kept.resize(static_cast<std::size_t>(f.limit));
    page.next_before = kept.back().request.id;
    if (!f.sort.empty()) page.next_key = sort_key(kept.back().request, f.sort);
  }
  page.items = std::move(kept);
  return page;
}

Outcome<Page> list_requests(Services& s, const Actor& a, const ListFilter& filter) {
  Reading reading(s.store);
  return list_requests(s, reading, a, filter);
}

Outcome<RequestView> get_request(Services& s, const Actor& a, const std::string& id) {
  Reading reading(s.store);
  return get_request(s, reading, a, id);
}

Outcome<std::vector<AuditEvent>> request_events(Services& s, const Actor& a, const std::string& id) {
  auto uow = s.store.begin_read();
  auto r = load_visible(*uow, a, id);
  if (!r) return fail(r.error());
  return uow->events_of("exception", std::to_string(r->id));
}

Outcome<RequestView> edit_request(Services& s, const Actor& a, const ActionInput& in) {
  // Field names and types are checked before the request is looked up.
  domain::RequestContent probe;
  if (auto ok = apply_content(probe, in.body); !ok) return fail(Error::from(ok.error()));
  return act(
      s, a, in, "edit", [&](ExceptionRequest& r, UnitOfWork& uow, Instant, json& data) -> Outcome<void> {
        domain::RequestContent content = r.content;
        if (auto ok = apply_content(content, in.body); !ok) return fail(Error::from(ok.error()));
        if (content.policy_id != r.content.policy_id && !uow.policy(content.policy_id))
          return fail(Error{
              Error::Kind::invalid, "unknown policy", {{"policy_id", "is not a policy of the catalog"}}});
        json fields = json::array();
        for (const auto& [k, v] : in.body.items()) fields.push_back(k);
        data = {{"fields", fields}};
        return from(domain::edit(r, a, content));
      });
}

Outcome<RequestView> submit_request(Services& s, const Actor& a, const ActionInput& in) {
  if (auto ok = only_fields(in.body, {}); !ok) return fail(ok.error());
  return act(s, a, in, "submit",
             [&](ExceptionRequest& r, UnitOfWork& uow, Instant now, json& data) -> Outcome<void> {
               // Who and when first, so a stranger learns nothing of the routing.
               if (a.email != r.requester)
                 return fail(Error::Kind::forbidden, "only the requester submits a request");
               if (!domain::next_status(r.status, domain::Action::submit))
                 return fail(Error::Kind::conflict,
                             "not allowed while the request is " + std::string(domain::to_string(r.status)));
               auto routing = route(uow, r.requester, r.department, r.content);
               if (!routing) return fail(routing.error());
               if (auto errors = domain::validate_for_submit(r.content, routing->outcome.max_days);
                   !errors.empty())
                 return fail(Error{Error::Kind::invalid, "the request is not complete", errors});
               if (!routing->approvals) return fail(Error::from(routing->approvals.error()));
               data = {{"matrix_version", routing->matrix_version}, {"max_days", routing->outcome.max_days}};
               return from(domain::submit(r, a, std::move(*routing->approvals), routing->outcome.max_days,
                                          routing->matrix_version, now));
             });
}

Outcome<RequestView> decide_slot(Services& s, const Actor& a, const ActionInput& in,
                                 const std::string& slot) {
  auto decision = slot_decision_from(in.body, slot);
  if (!decision) return fail(Error::from(decision.error()));
  return act(s, a, in, "decide",
             [&](ExceptionRequest& r, UnitOfWork&, Instant now, json& data) -> Outcome<void> {
               data = {{"slot", slot}, {"decision", domain::to_string(decision->decision)}};
               return from(domain::decide(r, a, slot, *decision, now));
             });
}

Outcome<RequestView> invite_expert(Services& s, const Actor& a, const ActionInput& in) {
  auto fields = texts(in.body, {"email", "note"});
  if (!fields) return fail(fields.error());
  return act(s, a, in, "invite",
             [&](ExceptionRequest& r, UnitOfWork& uow, Instant now, json& data) -> Outcome<void> {
               const std::string& email = (*fields)[0];
               auto invitee = email.empty() ? std::nullopt : uow.user(email);
               // Who and when are checked before the invitee, so a stranger learns nothing of the users.
               ExceptionRequest probe = r;
               if (auto ok = domain::invite(probe, a, domain::User{email.empty() ? "-" : email, "", "", {}},
                                            (*fields)[1], now);
                   !ok && ok.error().kind != domain::Refusal::Kind::invalid)
                 return fail(Error::from(ok.error()));
               if (!invitee)
                 return fail(Error{Error::Kind::invalid,
                                   "unknown user",
                                   {{"email", email.empty() ? "is required" : "is not a known user"}}});
               data = {{"email", email}};
               return from(domain::invite(r, a, *invitee, (*fields)[1], now));
             });
}

// A note (an input or a review) on a request: it does not change the request itself.
static Outcome<RequestView> add_note(Services& s, const Actor& a, const ActionInput& in, const char* kind,
                                     const char* field,
                                     domain::Result<void> (*rule)(const ExceptionRequest&, const Actor&,
                                                                  const std::string&)) {
  auto fields = texts(in.body, {field});
  if (!fields) return fail(fields.error());
  const std::string& text = (*fields)[0];
  auto uow = s.store.begin_write();
  auto r = load_visible(*uow, a, in.id);
  if (!r) return fail(r.error());
  if (in.if_match && *in.if_match != r->version)
    return fail(Error::Kind::precondition_failed, "If-Match does not match the request's version");
  if (auto ok = rule(*r, a, text); !ok) return fail(Error::from(ok.error()));
  const Instant now = s.clock.now();
  uow->add_note(r->id, kind, {a.email, text, now});
  auto e = record_for(*r, a.email, kind, now);
  e.data = json{{field, text}}.dump();
  uow->append(e);
  notify_step(*uow, s.notifications, {*r, *r, kind, a.email, ""}, json::object(), now);
  uow->commit();
  committed(s);
  return view_of(s, *uow, a, std::move(*r), true);
}

Outcome<RequestView> add_input(Services& s, const Actor& a, const ActionInput& in) {
  return add_note(s, a, in, "input", "body", domain::comment);
}

Outcome<RequestView> add_review(Services& s, const Actor& a, const ActionInput& in) {
  return add_note(s, a, in, "review", "notes", domain::review);
}

Outcome<RequestView> withdraw_request(Services& s, const Actor& a, const ActionInput& in) {
  auto fields = texts(in.body, {"reason"});
  if (!fields) return fail(fields.error());
  return act(s, a, in, "withdraw", [&](ExceptionRequest& r, UnitOfWork&, Instant, json&) {
    return from(domain::withdraw(r, a, (*fields)[0]));
  });
}

Outcome<RequestView> appeal_denial(Services& s, const Actor& a, const ActionInput& in) {
  auto fields = texts(in.body, {"reason"});
  if (!fields) return fail(fields.error());
  return act(s, a, in, "appeal", [&](ExceptionRequest& r, UnitOfWork&, Instant now, json&) {
    return from(domain::appeal(r, a, (*fields)[0], now, s.settings));
  });
}

Outcome<RequestView> give_legal_opinion(Services& s, const Actor& a, const ActionInput& in) {
  auto fields = texts(in.body, {"opinion"});
  if (!fields) return fail(fields.error());
  return act(s, a, in, "legal_opinion", [&](ExceptionRequest& r, UnitOfWork&, Instant now, json&) {
    return from(domain::legal_opinion(r, a, (*fields)[0], now));
  });
}

Outcome<RequestView> record_disposition(Services& s, const Actor& a, const ActionInput& in) {
  BodyReader reader(in.body, {"decision", "comment", "as"});
  auto decision = reader.enumeration<domain::Disposition>("decision");
  if (!decision && !reader.has("decision"))
    reader.errors().push_back({"decision", "is required: grant or uphold"});
  const std::string comment = reader.text("comment");
  std::optional<domain::Role> as;
  if (reader.has("as")) {
    as = reader.enumeration<domain::Role>("as");
    if (as && *as != domain::Role::ceo && *as != domain::Role::cfo)
      reader.errors().push_back({"as", "must be ceo or cfo"});
  }
  if (auto r = reader.refusal("the disposition is invalid")) return fail(Error::from(*r));
  return act(s, a, in, "disposition", [&](ExceptionRequest& r, UnitOfWork&, Instant now, json& data) {
    data = {{"decision", domain::to_string(*decision)}};
    return from(domain::dispose(r, a, *decision, comment, as, now));
  });
}

Outcome<RequestView> close_exception(Services& s, const Actor& a, const ActionInput& in) {
  auto fields = texts(in.body, {"reason"});
  if (!fields) return fail(fields.error());
  return act(s, a, in, "close", [&](ExceptionRequest& r, UnitOfWork&, Instant, json&) {
    return from(domain::close(r, a, (*fields)[0]));
  });
}

Outcome<RequestView> revoke_exception(Services& s, const Actor& a, const ActionInput& in) {
  auto fields = texts(in.body, {"reason"});
  if (!fields) return fail(fields.error());
  return act(s, a, in, "revoke", [&](ExceptionRequest& r, UnitOfWork&, Instant, json&) {
    return from(domain::revoke(r, a, (*fields)[0]));
  });
}

Outcome<RequestView> request_extension(Services& s, const Actor& a, const ActionInput& in) {
  BodyReader reader(in.body, {"end_on", "justification"});
  auto end_on = reader.date("end_on");
  const std::string justification = reader.text("justification");
  if (auto r = reader.refusal("the extension is invalid")) return fail(Error::from(*r));
  auto uow = s.store.begin_write();
  auto parent = load_visible(*uow, a, in.id);
  if (!parent) return fail(parent.error());
  // The parent does not change, so no versioned update stops a second extension made at the same
  // moment on another instance: lock the parent, then read it (and its extensions) again. The id
  // may be a reference (EXC-…), so the first read finds the row to lock.
  uow->lock(parent->id);
  parent = load_visible(*uow, a, in.id);
  if (!parent) return fail(parent.error());
  if (in.if_match && *in.if_match != parent->version)
    return fail(Error::Kind::precondition_failed, "If-Match does not match the request's version");
  const Instant now = s.clock.now();
  auto ext = domain::extension_of(*parent, a, end_on, justification, now, extension_line(s, *uow, *parent));
  if (!ext) return fail(Error::from(ext.error()));
  uow->insert(*ext);
  auto created = record_for(*ext, a.email, "create", now);
  created.after = snapshot(*ext);
  created.data = json{{"extension_of", parent->ref}}.dump();
  uow->append(created);
  auto extended = record_for(*parent, a.email, "extend", now);
  const json extended_data{{"extension", ext->ref}, {"end_on", domain::format_date(*end_on)}};
  extended.data = extended_data.dump();
  uow->append(extended);
  notify_step(*uow, s.notifications, {std::nullopt, *ext, "create", a.email, ""},
              json{{"extension_of", parent->ref}}, now);
  notify_step(*uow, s.notifications, {*parent, *parent, "extend", a.email, ""}, extended_data, now);
  uow->commit();
  committed(s);
  return view_of(s, *uow, a, std::move(*ext), true);
}

Outcome<json> preview_matrix(Services& s, const Actor& a, const json& body) {
  domain::RequestContent c;
  if (auto ok = apply_content(c, body); !ok) return fail(Error::from(ok.error()));
  if (c.policy_id.empty())
    return fail(Error{Error::Kind::invalid, "policy_id is required", {{"policy_id", "is required"}}});
  auto uow = s.store.begin_read();
  auto routing = route(*uow, a.email, a.department, c);
  if (!routing) return fail(routing.error());
  json approvals = json::array();
  json problems = json::array();
  if (routing->approvals)
    for (const auto& slot : *routing->approvals) approvals.push_back(to_json(slot));
  else
    for (const auto& e : routing->approvals.error().errors)
      problems.push_back({{"field", e.field}, {"message", e.message}});
  return json{{"approvals", approvals},
              {"max_days", routing->outcome.max_days},
              {"first_approval", domain::to_string(routing->outcome.first_approval)},
              {"matrix_version", routing->matrix_version},
              {"errors", problems}};
}

Outcome<int> expire_due(Services& s, Instant now) {
  auto uow = s.store.begin_write();
  uow->lock_jobs();
  int count = 0;
  for (Id id : uow->due_for_expiry(domain::date_of(now))) {
    auto r = uow->find(id);
    if (!r) continue;
    const ExceptionRequest before = *r;
    if (!domain::expire(*r, now)) continue;
    // A request changed meanwhile (revoked, closed) is left as its writer made it.
    if (save(s, *uow, *r, before, "system", "expire", now,
             json{{"end_on", domain::format_date(*r->decision_end_on)}}))
      ++count;
  }
  uow->commit();
  committed(s);
  return count;
}

Outcome<std::string> import_organisation(Services& s, const json& file, const std::string& actor) {
  auto uow = s.store.begin_write();
  auto org = organisation_from_json(file, uow->user_emails());
  if (!org) return fail(Error::from(org.error()));
  const std::string summary = uow->import_organisation(*org);
  AuditRecord e;
  e.at = s.clock.now();
  e.actor = actor;
  e.action = "import";
  e.entity_type = "organisation";
  e.entity_id = "organisation";
  e.after = to_json(*org).dump();
  e.data = summary;
  uow->append(e);
  uow->commit();
  return summary;
}

Outcome<json> export_organisation(Services& s) {
  auto uow = s.store.begin_read();
  return to_json(uow->organisation());
}

Outcome<std::string> create_token(Services& s, const std::string& email, const std::string& name,
                                  const std::string& actor) {
  auto uow = s.store.begin_write();
  if (!uow->user(email)) return fail(Error::Kind::not_found, "no user " + email);
  const std::string token = "wvr_" + random_hex(32);
  const Instant now = s.clock.now();
  const Id id = uow->add_token(email, name, sha256_hex(token), now);
  AuditRecord e;
  e.at = now;
  e.actor = actor;
  e.action = "token_create";
  e.entity_type = "token";
  e.entity_id = std::to_string(id);
  e.data = json{{"user", email}, {"name", name}}.dump();
  uow->append(e);
  uow->commit();
  return token;
}

Outcome<void> set_password(Services& s, const std::string& email, const std::string& password,
                           const std::string& actor) {
  if (password.size() < 12)
    return fail(Error{
        Error::Kind::invalid, "the password is too short", {{"password", "needs at least 12 characters"}}});
  if (password.size() > 1024)
    return fail(Error{
        Error::Kind::invalid, "the password is too long", {{"password", "has more than 1024 characters"}}});
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.c_str(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return fail(Error::Kind::unavailable, "out of memory while hashing the password");
  auto uow = s.store.begin_write();
  if (!uow->user(email)) return fail(Error::Kind::not_found, "no user " + email);
  uow->set_password_hash(email, hash);
  AuditRecord e;
  e.at = s.clock.now();
  e.actor = actor;
  e.action = "set_password";
  e.entity_type = "user";
  e.entity_id = email;
  uow->append(e);
  uow->commit();
  return {};
}

}  // namespace waiver::app
