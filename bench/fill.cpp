// The requests of `make bench` that are in flight: those the import cannot make, because their
// state is the work of the people who decide them (waiting on their approval slots, sent back for
// changes, denied and under appeal, superseded by an extension).
//
//   waiver-bench-fill DATABASE_URL COUNT [DAYS]
//
// Takes COUNT requests of the bench's organisation (bench/generate.py) through the real use cases,
// as their requesters and deciders: each step is one unit of work of the app (the request, its
// slots, its audit event and its notifications), so the audit chain verifies. The steps run in
// rounds over the last DAYS days (default 60), a request's next step a round after its last, so a
// request lives for weeks, and the clock only moves forward (run it before the import, whose
// events are stamped with the time it runs). Deterministic for a given COUNT.
// Prints the number of requests it wrote (an extension is a request of its own) and of the steps
// (units of work: creations, submissions, decisions, appeals …) that wrote them.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "domain/time.hpp"
#include "store/sql_store.hpp"

namespace {

using nlohmann::json;
using waiver::app::ActionInput;
using waiver::app::RequestView;
using waiver::domain::Instant;
using waiver::domain::Status;

class SteppingClock final : public waiver::app::Clock {
 public:
  Instant now() const override { return t_; }
  void set(Instant t) {
    if (t.seconds > t_.seconds) t_ = t;
  }
  void tick() { ++t_.seconds; }

 private:
  Instant t_{};
};

// The states a request is taken to, and the steps that take it there.
enum class Step {
  submit,
  first,
  others,
  changes,
  approve,
  reject,
  withdraw,
  appeal,
  opinion,
  grant,
  uphold,
  extend
};

struct Path {
  const char* state;
  int weight;  // in a hundred
  std::vector<Step> steps;
};

const std::vector<Path>& paths() {
  using S = Step;
  static const std::vector<Path> k{
      {"department_review", 22, {S::submit}},
      {"policy_review", 20, {S::submit, S::first, S::others}},
      {"changes_requested", 8, {S::submit, S::changes}},
      {"withdrawn", 4, {S::submit, S::withdraw}},
      {"active", 8, {S::submit, S::first, S::others, S::approve}},
      {"denied", 8, {S::submit, S::first, S::others, S::reject}},
      {"appeal_legal", 6, {S::submit, S::first, S::others, S::reject, S::appeal}},
      {"appeal_executive", 6, {S::submit, S::first, S::others, S::reject, S::appeal, S::opinion, S::grant}},
      {"denied_final",
       6,
       {S::submit, S::first, S::others, S::reject, S::appeal, S::opinion, S::grant, S::uphold}},
      {"superseded",
       12,
       {S::submit, S::first, S::others, S::approve, S::extend, S::submit, S::first, S::others, S::approve}},
  };
  return k;
}

constexpr const char* kWords[] = {"legacy",   "vpn",    "admin",   "database",   "export",
                                  "vendor",   "laptop", "usb",     "mfa",        "backup",
                                  "firewall", "bucket", "token",   "scanner",    "shared",
                                  "account",  "patch",  "logging", "privileged", "certificate"};
constexpr const char* kTypes[] = {"technology", "access", "configuration", "process", "device"};
constexpr const char* kClasses[] = {"RED", "ORANGE", "YELLOW", "GREEN"};

class Fill {
 public:
  explicit Fill(waiver::app::Store& store) : s_{store, clock_, {}} {}

  const waiver::domain::Actor& actor(const std::string& email) {
    auto [it, fresh] = actors_.try_emplace(email);
    if (fresh) {
      auto uow = s_.store.begin_read();
      auto a = uow->actor(email);
      if (!a)
        throw std::runtime_error("no user " + email + ": import bench/generate.py's organisation first");
      it->second = *a;
    }
    return it->second;
  }

  static RequestView must(waiver::app::Outcome<RequestView> r, const std::string& what) {
    if (!r) {
      std::string why = r.error().detail;
      for (const auto& e : r.error().errors) why += "; " + e.field + ": " + e.message;
      throw std::runtime_error(what + ": " + why);
    }
    return std::move(*r);
  }

  RequestView create(std::mt19937& rnd, long long i) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rnd() % n); };
    std::string title;
    for (int w = 0; w < 4; ++w) title += std::string(w ? " " : "") + kWords[pick(std::size(kWords))];
    title[0] = static_cast<char>(std::toupper(title[0]));
    const auto start = waiver::domain::date_of(clock_.now());
    json controls = json::array();
    for (std::size_t c = 0, n = 1 + pick(3); c < n; ++c)
      controls.push_back({{"description", std::string(kWords[pick(std::size(kWords))]) + " review"}});
    json body = {
        {"title", title + " #F" + std::to_string(i)},
        {"policy_id", "policy-" + std::to_string(pick(30))},
        {"requirement", "The requirement of the policy that cannot be met as written."},
        {"type", kTypes[pick(std::size(kTypes))]},
        {"data_classification", kClasses[pick(std::size(kClasses))]},
        {"description", std::string("The team needs ") + kWords[pick(std::size(kWords))] + " access."},
        {"alternative", "No lesser alternative meets the need."},
        {"justification", "A business need that the standard tooling does not cover."},
        {"resources", "The team maintains the alternative."},
        {"scope", "One system."},
        {"likelihood", 1 + static_cast<int>(pick(5))},
        {"impact", 1 + static_cast<int>(pick(5))},
        {"compensating_controls", controls},
        {"start_on", waiver::domain::format_date(start)},
        {"end_on",
         waiver::domain::format_date(waiver::domain::add_days(start, 120 + static_cast<int>(pick(180))))}};
    const std::string requester = "user" + std::to_string(pick(600)) + "@bench.test";
    return must(waiver::app::create_request(s_, actor(requester), body), "create");
  }

  // Approves, as the first eligible person who is not the requester, each pending slot that can
  // be filled now, but the owner's: the `first` step the department's or maintainers' slot, the
  // `others` step compliance and what the matrix added (legal for RED data).
  RequestView fill_slots(RequestView v, Status stage) {
    for (bool more = true; more;) {
      more = false;
      for (const auto& slot : v.request.approvals) {
        if (slot.status != waiver::domain::SlotStatus::pending || slot.slot == "owner" ||
            slot.stage != stage || slot.stage != v.request.status)
          continue;
        json body = {{"decision", "approve"}, {"comment", "Fine by me."}};
        if (slot.slot == "compliance") {
          body["implications"] = "current";
          body["frameworks"] = {"SOC 2"};
        }
        v = decide(v, decider(v, slot), slot.slot, body);
        more = true;
        break;
      }
    }
    return v;
  }

  RequestView step(RequestView v, Step step) {
    const std::string id = std::to_string(v.request.id);
    const std::string& requester = v.request.requester;
    switch (step) {
      case Step::submit: return run(requester, id, waiver::app::submit_request);
      case Step::first: return fill_slots(std::move(v), Status::department_review);
      case Step::others: return fill_slots(std::move(v), Status::policy_review);
      case Step::changes:
        return decide(v, decider(v, slot_named(v, "department")), "department",
                      {{"decision", "request_changes"}, {"comment", "Say which system this is."}});
      case Step::approve: {
        json controls = json::array();
        for (const auto& c : v.request.content.compensating_controls)
          controls.push_back({{"description", c.description}, {"status", "implemented"}});
        return decide(v, owner(v), "owner",
                      {{"decision", "approve"},
                       {"compensating_controls", controls},
                       {"risk_level", "medium"},
                       {"end_on", waiver::domain::format_date(*v.request.content.end_on)},
                       {"action_plan", "Move to the standard tool within the period."},
                       {"comment", "Approved with the controls listed."}});
      }
      case Step::reject:
        return decide(v, owner(v), "owner", {{"decision", "reject"}, {"comment", "Use the standard tool."}});
      case Step::withdraw:
        return run(requester, id, waiver::app::withdraw_request, {{"reason", "No longer needed."}});
      case Step::appeal:
        return run(requester, id, waiver::app::appeal_denial, {{"reason", "The contract requires it."}});
      case Step::opinion:
        return run("legal@bench.test", id, waiver::app::give_legal_opinion, {{"opinion", "Low legal risk."}});
      case Step::grant:
        return run("ceo@bench.test", id, waiver::app::record_disposition, {{"decision", "grant"}});
      case Step::uphold:
        return run("cfo@bench.test", id, waiver::app::record_disposition,
                   {{"decision", "uphold"}, {"comment", "The policy stands."}});
      case Step::extend:
        return run(requester, id, waiver::app::request_extension,
                   {{"end_on",
                     waiver::domain::format_date(waiver::domain::add_days(*v.request.decision_end_on, 90))},
                    {"justification", "The migration takes another quarter."}});
    }
    throw std::logic_error("unknown step");
  }

  SteppingClock& clock() { return clock_; }

  using UseCase = waiver::app::Outcome<RequestView> (*)(waiver::app::Services&, const waiver::domain::Actor&,
                                                        const ActionInput&);

  long long steps = 0;

 private:
  RequestView run(const std::string& who, const std::string& id, UseCase use_case,
                  const json& body = json::object()) {
    clock_.tick();
    ++steps;
    return must(use_case(s_, actor(who), {id, std::nullopt, body}), "request " + id);
  }

  RequestView decide(const RequestView& v, const std::string& who, const std::string& slot,
                     const json& body) {
    clock_.tick();
    ++steps;
    const std::string id = std::to_string(v.request.id);
    return must(waiver::app::decide_slot(s_, actor(who), {id, std::nullopt, body}, slot),
                "request " + id + ", slot " + slot);
  }

  static const waiver::domain::ApprovalSlot& slot_named(const RequestView& v, const std::string& name) {
    for (const auto& slot : v.request.approvals)
      if (slot.slot == name) return slot;
    // The matrix sends technology and configuration requests to the maintainers first.
    for (const auto& slot : v.request.approvals)
      if (slot.stage == Status::department_review) return slot;
    throw std::runtime_error("request " + std::to_string(v.request.id) + " has no slot " + name);
  }

  static std::string decider(const RequestView& v, const waiver::domain::ApprovalSlot& slot) {
    for (const auto& email : slot.eligible)
      if (email != v.request.requester) return email;
    throw std::runtime_error("no one may fill slot " + slot.slot + " of request " +
                             std::to_string(v.request.id));
  }

  static std::string owner(const RequestView& v) { return decider(v, slot_named(v, "owner")); }

  SteppingClock clock_;
  waiver::app::Services s_;
  std::map<std::string, waiver::domain::Actor> actors_;
};

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: waiver-bench-fill DATABASE_URL COUNT [DAYS]\n";
    return 2;
  }
  const auto url = waiver::store::parse_database_url(argv[1]);
  if (!url) throw std::runtime_error(url.error());
  const long long count = std::stoll(argv[2]);
  const int days = argc > 3 ? std::stoi(argv[3]) : 60;
  auto store = waiver::store::open_store(*url);

  const Instant now{static_cast<std::int64_t>(std::time(nullptr))};
  Fill fill(*store);
  // Each request's path, in proportion to the weights.
  std::mt19937 rnd(static_cast<unsigned>(count));
  std::vector<const Path*> plan;
  std::size_t rounds = 0;
  for (long long i = 0; i < count; ++i) {
    int roll = static_cast<int>(rnd() % 100);
    const Path* p = &paths().back();
    for (const auto& candidate : paths())
      if ((roll -= candidate.weight) < 0) {
        p = &candidate;
        break;
      }
    plan.push_back(p);
    rounds = std::max(rounds, p->steps.size() + 1);
  }
  // Round 0 creates every request; round r takes the requests with an r-th step a step further.
  // Each round has its share of the days, its steps spread evenly over it.
  std::vector<RequestView> views;
  views.reserve(plan.size());
  long long written = 0;
  const long long span = static_cast<long long>(days) * 86400;
  for (std::size_t round = 0; round < rounds; ++round) {
    const long long round_start =
        now.seconds - span + span * static_cast<long long>(round) / static_cast<long long>(rounds);
    for (std::size_t i = 0; i < plan.size(); ++i) {
      fill.clock().set(
          Instant{round_start + span / static_cast<long long>(rounds) * static_cast<long long>(i) /
                                    static_cast<long long>(plan.size())});
      if (round == 0) {
        views.push_back(fill.create(rnd, static_cast<long long>(i)));
        ++written;
        continue;
      }
      if (round > plan[i]->steps.size()) continue;
      const Step s = plan[i]->steps[round - 1];
      views[i] = fill.step(std::move(views[i]), s);
      // The extension is the request the path goes on with: its parent is superseded when it is approved.
      if (s == Step::extend) ++written;
    }
  }
  std::cout << written << " " << fill.steps + static_cast<long long>(plan.size()) << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "waiver-bench-fill: " << e.what() << "\n";
  return 1;
}
