// The jobs of `waiver serve`: the scheduled jobs every `jobs_interval_seconds`, delivery of the
// outbox every `delivery_interval_seconds` and whenever a change has queued something (poke).
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "app/audit_checkpoints.hpp"
#include "app/delivery.hpp"
#include "app/jobs.hpp"

namespace waiver::cli {

class Scheduler {
 public:
  Scheduler(app::Services& services, app::Mailer& mailer, app::WebClient& web, app::DeliverySettings delivery,
            int jobs_interval_seconds, int delivery_interval_seconds);
  ~Scheduler();
  void start();
  void poke();  // something was queued: deliver now
  void stop();
  // Told after each delivery round that did something (for metrics); set before start().
  std::function<void(int delivered, int failed)> on_delivered;
  // With a key, each jobs round also signs a checkpoint of the audit chain when it has grown and
  // the last checkpoint is at least `checkpoint_interval_seconds` old; set before start().
  std::optional<app::SigningKey> checkpoint_key;
  std::int64_t checkpoint_interval_seconds = 3600;

 private:
  void loop();

  app::Services& services_;
  app::Mailer& mailer_;
  app::WebClient& web_;
  app::DeliverySettings delivery_;
  int jobs_interval_;
  int delivery_interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

// A name for this process in outbox claims: host, process id and a random part.
std::string worker_name();

}  // namespace waiver::cli
