// The use cases of the exception process, each one unit of work: load, apply the domain's
// rule, write the change and its audit event, commit.
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/error.hpp"
#include "app/notify.hpp"
#include "app/ports.hpp"
#include "domain/process.hpp"

namespace waiver::app {

using nlohmann::json;

struct IdentitySettings {
  int session_idle_minutes = 60;
  int session_absolute_hours = 12;
  int throttle_window_minutes = 15;
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
};

struct Services {
  Store& store;
  const Clock& clock;
  domain::ProcessSettings settings;
  IdentitySettings identity = {};
  NotificationSettings notifications = {};
  // Called after a commit that queued notifications: wakes the delivery worker of `serve`.
  std::function<void()> on_queued = {};
};

// A request as one caller sees it.
struct RequestView {
  domain::ExceptionRequest request;
  std::vector<std::string> allowed_actions;
  std::vector<domain::Note> inputs;
  std::vector<domain::Note> reviews;
  bool detailed = true;  // with inputs, reviews and invitations
  // The names of the people the approvals, inputs and reviews name by email (by_name,
  // eligible_names): everyone may read them, where only admins may list users.
  std::map<std::string, std::string> names;
};

json to_json(const RequestView& v);

struct Page {
  std::vector<RequestView> items;
  std::optional<Id> next_before;
  std::optional<std::string> next_key;  // a sorted listing: the sort key of the last item
};

// The value a sorted register orders `r` by: the text of the column (risk_level: "0" none to
// "4" critical; end_on: the decided end date, else the requested one, else ""). The store's SQL
// orders by the same expression (store/exception_rows.cpp).
std::string sort_key(const ExceptionRequest& r, const std::string& sort);

// Authentication: the actor behind an API token, read in `reading` (which then goes on for the
// answer; it is ended first when the token's last use must be written).
Outcome<domain::Actor> actor_for_token(Services& s, Reading& reading, const std::string& token);
Outcome<domain::Actor> actor_for_token(Services& s, const std::string& token);

// Requests
Outcome<RequestView> create_request(Services& s, const domain::Actor& a, const json& body);
Outcome<RequestView> get_request(Services& s, Reading& reading, const domain::Actor& a,
                                 const std::string& id);
Outcome<RequestView> get_request(Services& s, const domain::Actor& a, const std::string& id);
Outcome<Page> list_requests(Services& s, Reading& reading, const domain::Actor& a, const ListFilter& f);
Outcome<Page> list_requests(Services& s, const domain::Actor& a, const ListFilter& f);
Outcome<std::vector<AuditEvent>> request_events(Services& s, const domain::Actor& a, const std::string& id);

// Actions: `if_match` is the version the caller last saw, when they sent one.
struct ActionInput {
  std::string id;
  std::optional<std::int64_t> if_match;
  json body = json::object();
};

Outcome<RequestView> edit_request(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> submit_request(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> decide_slot(Services& s, const domain::Actor& a, const ActionInput& in,
                                 const std::string& slot);
Outcome<RequestView> invite_expert(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> add_input(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> withdraw_request(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> appeal_denial(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> give_legal_opinion(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> record_disposition(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> request_extension(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> add_review(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> close_exception(Services& s, const domain::Actor& a, const ActionInput& in);
Outcome<RequestView> revoke_exception(Services& s, const domain::Actor& a, const ActionInput& in);

// "Who must approve this?" for request fields, before submitting.
Outcome<json> preview_matrix(Services& s, const domain::Actor& a, const json& body);

// Jobs: moves every active exception whose end date has passed to expired. Returns how many.
Outcome<int> expire_due(Services& s, Instant now);

// Administration (the command line)
Outcome<std::string> import_organisation(Services& s, const json& file, const std::string& actor);
Outcome<json> export_organisation(Services& s);
Outcome<std::string> create_token(Services& s, const std::string& email, const std::string& name,
                                  const std::string& actor);
Outcome<void> set_password(Services& s, const std::string& email, const std::string& password,
                           const std::string& actor);

}  // namespace waiver::app
