// The scheduled jobs: expiry, expiry reminders, approval reminders and escalations, the weekly
// digest. Each is idempotent: run twice for the same instant, it queues and changes nothing twice
// (dedupe keys in the outbox, version checks on requests), and instances take turns (lock_jobs).
#pragma once
#include <string>

#include "app/services.hpp"

namespace waiver::app {

struct JobsReport {
  int expired = 0;
  int expiry_reminders = 0;
  int approval_reminders = 0;
  int escalations = 0;
  int digests = 0;
};

Outcome<JobsReport> run_jobs(Services& s, Instant now);

// ISO 8601 week of a date, e.g. 2027-W05, and its weekday (1 = Monday).
std::string iso_week(domain::Date d);
int iso_weekday(domain::Date d);

}  // namespace waiver::app
