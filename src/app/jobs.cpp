#include "app/jobs.hpp"

#include <algorithm>
#include <map>

#include "app/notify.hpp"
#include "domain/notifications.hpp"

namespace waiver::app {
namespace {

using domain::ExceptionRequest;
using domain::Notice;
using domain::NoticeKind;
using nlohmann::json;

// Expiry reminders to the requester and the policy owner, once per threshold.
int expiry_reminders(Services& s, UnitOfWork& uow, Instant now) {
  const domain::Date today = domain::date_of(now);
  std::map<std::string, domain::Policy> policies;
  int horizon = 0;
  for (int d : s.notifications.reminder_days) horizon = std::max(horizon, d);
  for (auto& p : uow.organisation().policies) {
    for (int d : p.reminder_days) horizon = std::max(horizon, d);
    policies.emplace(p.id, std::move(p));
  }
  const std::string host = mail_host(s.notifications);
  int sent = 0;
  for (auto id : uow.active_ending_by(domain::add_days(today, horizon))) {
    auto r = uow.find(id);
    if (!r || !r->decision_end_on) continue;
    const auto p = policies.find(r->content.policy_id);
    const auto& thresholds = p != policies.end() && !p->second.reminder_days.empty()
                                 ? p->second.reminder_days
                                 : s.notifications.reminder_days;
    auto t = domain::expiry_threshold_due(*r, today, thresholds);
    if (!t) continue;
    const std::string key = "expiry:" + std::to_string(r->id) + ":" +
                            domain::format_date(*r->decision_end_on) + ":" + std::to_string(*t);
    const int left = domain::days_between(today, *r->decision_end_on);
    std::vector<std::string> to{r->requester};
    if (p != policies.end() && p->second.owner != r->requester) to.push_back(p->second.owner);
    for (const auto& email : to) {
      Notice n{email, NoticeKind::expiry_reminder, "", left};
      if (queue_mail(uow, email, "reminder.expiry", r->ref, compose(n, *r, request_link(s.notifications, *r)),
                     host, key + ":" + email, now))
        ++sent;
    }
    queue_webhooks(uow, s.notifications, "reminder.expiry", *r, "", "system",
                   json{{"days_left", left}, {"threshold", *t}}, key, now);
  }
  return sent;
}

struct Waiting {
  std::vector<DigestLine> lines;
};

// Reminders to the approvers of slots that wait too long, escalations to the policy owner, and
// the weekly digest of what waits for each approver.
void approval_reminders(Services& s, UnitOfWork& uow, Instant now, JobsReport& report) {
  const auto& n = s.notifications;
  const std::string host = mail_host(n);
  std::map<std::string, Waiting> waiting;  // by approver
  for (auto id : uow.ids_in_status({domain::Status::department_review, domain::Status::policy_review})) {
    auto r = uow.find(id);
    if (!r) continue;
    const std::string link = request_link(n, *r);
    for (const domain::ApprovalSlot* slot : domain::waiting_slots(*r)) {
      const Instant since = domain::waiting_since(*r, *slot);
      const std::string key = std::to_string(r->id) + ":" + slot->slot + ":" + domain::format_instant(since);
      for (const auto& e : slot->eligible)
        waiting[e].lines.push_back(
            {r->ref, r->content.title, slot->slot, domain::format_instant(since), link});
      const long long waited = now.seconds - since.seconds;
      if (waited >= n.approval_reminder_hours * 3600LL) {
        for (const auto& e : slot->eligible)
          if (queue_mail(uow, e, "reminder.approval", r->ref,
                         compose(Notice{e, NoticeKind::approval_reminder, slot->slot, 0}, *r, link), host,
                         "approval:" + key + ":" + e, now))
            ++report.approval_reminders;
        queue_webhooks(uow, n, "reminder.approval", *r, "", "system", json{{"slot", slot->slot}},
                       "approval:" + key, now);
      }
      if (waited >= (n.approval_reminder_hours + n.escalation_hours) * 3600LL) {
        // The owner's own slot escalates to Security Compliance.
        std::vector<std::string> to;
        if (slot->slot == "owner")
          to = uow.role_members(domain::Role::security_compliance);
        else if (auto p = uow.policy(r->content.policy_id))
          to.push_back(p->owner);
        for (const auto& e : to)
          if (queue_mail(uow, e, "reminder.escalation", r->ref,
                         compose(Notice{e, NoticeKind::escalation, slot->slot, 0}, *r, link), host,
                         "escalation:" + key + ":" + e, now))
            ++report.escalations;
        queue_webhooks(uow, n, "reminder.escalation", *r, "", "system", json{{"slot", slot->slot}},
                       "escalation:" + key, now);
      }
    }
  }
  const domain::Date today = domain::date_of(now);
  if (iso_weekday(today) < n.digest_weekday) return;
  const std::string week = iso_week(today);
  for (auto& [email, w] : waiting) {
    std::sort(w.lines.begin(), w.lines.end(),
              [](const DigestLine& a, const DigestLine& b) { return a.waiting_since < b.waiting_since; });
    if (queue_mail(uow, email, "digest.weekly", "", compose_digest(w.lines, week), host,
                   "digest:" + week + ":" + email, now))
      ++report.digests;
  }
}

}  // namespace

int iso_weekday(domain::Date d) { return ((d.days % 7 + 7 + 3) % 7) + 1; }

std::string iso_week(domain::Date d) {
  const domain::Date thursday = domain::add_days(d, 4 - iso_weekday(d));
  const int year = domain::year_of(thursday);
  const domain::Date jan1 = *domain::parse_date(std::to_string(year) + "-01-01");
  const int week = domain::days_between(jan1, thursday) / 7 + 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-W%02d", year, week);
  return buf;
}

Outcome<JobsReport> run_jobs(Services& s, Instant now) {
  JobsReport report;
  auto expired = expire_due(s, now);
  if (!expired) return fail(expired.error());
  report.expired = *expired;
  auto uow = s.store.begin_write();
  uow->lock_jobs();
  report.expiry_reminders = expiry_reminders(s, *uow, now);
  approval_reminders(s, *uow, now, report);
  uow->record_job_run("scheduled", now);
  uow->commit();
  if (s.on_queued) s.on_queued();
  return report;
}

}  // namespace waiver::app
