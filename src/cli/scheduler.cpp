#include "cli/scheduler.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "app/secrets.hpp"

namespace waiver::cli {

std::string worker_name() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + app::random_hex(4);
}

Scheduler::Scheduler(app::Services& services, app::Mailer& mailer, app::WebClient& web,
                     app::DeliverySettings delivery, int jobs_interval_seconds, int delivery_interval_seconds)
    : services_(services),
      mailer_(mailer),
      web_(web),
      delivery_(std::move(delivery)),
      jobs_interval_(jobs_interval_seconds),
      delivery_interval_(delivery_interval_seconds) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_one();
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::loop() {
  std::int64_t next_jobs = 0;
  for (;;) {
    const auto now = services_.clock.now();
    if (now.seconds >= next_jobs) {
      next_jobs = now.seconds + jobs_interval_;
      try {
        auto r = app::run_jobs(services_, now);
        if (!r)
          spdlog::warn("event=jobs outcome=failed reason=\"{}\"", r.error().detail);
        else if (r->expired + r->expiry_reminders + r->approval_reminders + r->escalations + r->digests > 0)
          spdlog::info(
              "event=jobs expired={} expiry_reminders={} approval_reminders={} escalations={} digests={}",
              r->expired, r->expiry_reminders, r->approval_reminders, r->escalations, r->digests);
      } catch (const std::exception& e) {
        spdlog::warn("event=jobs outcome=failed reason=\"{}\"", e.what());
      }
      if (checkpoint_key) try {
          auto c = app::make_checkpoint(services_.store, *checkpoint_key, now, checkpoint_interval_seconds);
          if (!c)
            spdlog::warn("event=audit_checkpoint outcome=failed reason=\"{}\"", c.error().detail);
          else if (*c)
            spdlog::info("event=audit_checkpoint id={} events={} head={}", (*c)->id, (*c)->events,
                         (*c)->head);
        } catch (const std::exception& e) {
          spdlog::warn("event=audit_checkpoint outcome=failed reason=\"{}\"", e.what());
        }
    }
    try {
      auto d = app::deliver_due(services_.store, mailer_, web_, delivery_, services_.clock);
      if (d.delivered + d.failed > 0 && on_delivered) on_delivered(d.delivered, d.failed);
      if (d.delivered + d.failed > 0)
        spdlog::info("event=delivery delivered={} failed={} gave_up={}", d.delivered, d.failed, d.gave_up);
    } catch (const std::exception& e) {
      spdlog::warn("event=delivery outcome=failed reason=\"{}\"", e.what());
    }
    std::unique_lock lock(mutex_);
    const auto wait =
        std::min<std::int64_t>(delivery_interval_, std::max<std::int64_t>(1, next_jobs - now.seconds));
    wake_.wait_for(lock, std::chrono::seconds(wait), [this] { return poked_ || stopping_; });
    if (stopping_) return;
    poked_ = false;
  }
}

}  // namespace waiver::cli
