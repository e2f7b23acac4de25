#include "cli/notification_commands.hpp"

#include <iostream>

#include "app/jobs.hpp"
#include "app/notification_admin.hpp"
#include "cli/scheduler.hpp"
#include "net/curl_web_client.hpp"

namespace waiver::cli {
namespace {

class FixedClock final : public app::Clock {
 public:
  explicit FixedClock(domain::Instant t) : t_(t) {}
  domain::Instant now() const override { return t_; }

 private:
  domain::Instant t_;
};

domain::Actor cli_admin(const std::string& who) {
  domain::Actor a;
  a.email = who;
  a.name = who;
  a.roles = {domain::Role::admin};
  return a;
}

std::string one_line(const app::Error& e) {
  std::string out = e.detail;
  for (const auto& f : e.errors) out += "; " + f.field + ": " + f.message;
  return out;
}

}  // namespace

app::DeliverySettings delivery_settings(const Config& c) {
  app::DeliverySettings d;
  d.mail_from = c.notify.mail_from;
  d.worker = worker_name();
  d.max_attempts = c.notify.notifications.max_attempts;
  return d;
}

std::unique_ptr<app::Mailer> make_mailer(const Config& c) {
  if (c.notify.smtp.url.empty()) return std::make_unique<net::LogMailer>();
  return std::make_unique<net::CurlMailer>(c.notify.smtp);
}

int jobs_run(app::Services& s, const Config& c, domain::Instant now) {
  // The jobs and the deliveries of this run see the instant asked for.
  FixedClock clock(now);
  app::Services at{s.store, clock, s.settings, s.identity, s.notifications, {}};
  auto report = app::run_jobs(at, now);
  if (!report) {
    std::cerr << "waiver: " << one_line(report.error()) << "\n";
    return 1;
  }
  std::cout << "expired: " << report->expired << "\n"
            << "expiry reminders: " << report->expiry_reminders << "\n"
            << "approval reminders: " << report->approval_reminders << "\n"
            << "escalations: " << report->escalations << "\n"
            << "digests: " << report->digests << "\n";
  auto mailer = make_mailer(c);
  net::CurlWebClient web;
  const auto delivered = app::deliver_due(s.store, *mailer, web, delivery_settings(c), clock);
  std::cout << "delivered: " << delivered.delivered << "\n";
  app::OutboxCounts counts;
  {
    auto uow = s.store.begin_read();
    counts = uow->outbox_counts();
  }
  if (delivered.failed > 0 || counts.retrying > 0 || counts.failed > 0)
    std::cerr << "deliveries failed: " << delivered.failed << " this run; " << counts.retrying
              << " waiting for a retry, " << counts.failed
              << " given up (see `waiver outbox list --state failed`)\n";
  return 0;
}

int outbox_list(app::Services& s, const std::string& state, const std::string& who) {
  app::OutboxFilter f;
  f.state = state;
  f.limit = 1000;
  auto items = app::list_outbox(s, cli_admin(who), f);
  if (!items) {
    std::cerr << "waiver: " << one_line(items.error()) << "\n";
    return 1;
  }
  for (const auto& m : *items) std::cout << app::outbox_json(m).dump() << "\n";
  return 0;
}

int outbox_retry(app::Services& s, std::optional<long long> id, const std::string& who) {
  if (id) {
    auto m = app::retry_delivery(s, cli_admin(who), *id);
    if (!m) {
      std::cerr << "waiver: " << one_line(m.error()) << "\n";
      return 1;
    }
    std::cout << "delivery " << *id << " is due again\n";
    return 0;
  }
  auto n = app::retry_failed_deliveries(s, cli_admin(who));
  if (!n) {
    std::cerr << "waiver: " << one_line(n.error()) << "\n";
    return 1;
  }
  std::cout << *n << " failed deliveries are due again\n";
  return 0;
}

}  // namespace waiver::cli
