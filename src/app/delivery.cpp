#include "app/delivery.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

namespace waiver::app {
namespace {

using nlohmann::json;

// Empty when delivered; else the error.
std::string send_mail(Mailer& mailer, const OutboxMessage& m, const DeliverySettings& settings, Instant now) {
  json body = json::parse(m.body, nullptr, false);
  if (!body.is_object()) return "the queued mail is unreadable";
  MailMessage mail;
  mail.from = settings.mail_from;
  mail.to = m.target;
  mail.subject = m.subject;
  mail.text = body.value("text", "");
  mail.html = body.value("html", "");
  mail.message_id = body.value("message_id", "");
  mail.thread = body.value("thread", "");
  mail.date = rfc5322_date(now);
  return mailer.send(mail);
}

constexpr const char* kRemoved = "the webhook was removed";

std::string call_webhook(UnitOfWork& uow, WebClient& web, const OutboxMessage& m, Instant now) {
  std::optional<Webhook> hook;
  for (auto& h : uow.webhooks(true))
    if (std::to_string(h.id) == m.target) hook = h;
  if (!hook || hook->disabled_at) return kRemoved;
  WebRequest req;
  req.method = "POST";
  req.url = hook->url;
  req.body = m.body;
  req.headers = {{"Content-Type", "application/json"},
                 {"User-Agent", "Waiver-Webhook/1"},
                 {"Waiver-Event", m.event},
                 {"Waiver-Delivery", std::to_string(m.id)},
                 {"Waiver-Signature", webhook_signature(hook->secret, now.seconds, m.body)}};
  const WebResponse res = web.send(req);
  if (res.status >= 200 && res.status < 300) return "";
  if (res.status == 0) return res.error.empty() ? "no answer" : res.error;
  return "the receiver answered " + std::to_string(res.status);
}

}  // namespace

int retry_delay_seconds(int attempts) {
  long long delay = 10;
  for (int i = 1; i < attempts && delay < 3600; ++i) delay *= 2;
  return static_cast<int>(std::min<long long>(delay, 3600));
}

std::string webhook_signature(const std::string& secret, std::int64_t timestamp, const std::string& body) {
  const std::string signed_text = std::to_string(timestamp) + "." + body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(signed_text.data()),
                                signed_text.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return "t=" + std::to_string(timestamp) + ",v1=" + hex;
}

DeliveryReport deliver_due(Store& store, Mailer& mailer, WebClient& web, const DeliverySettings& settings,
                           const Clock& clock) {
  DeliveryReport report;
  for (;;) {
    const Instant now = clock.now();
    std::vector<OutboxMessage> batch;
    {
      auto uow = store.begin_write();
      batch =
          uow->claim_due(now, settings.worker, Instant{now.seconds + settings.lease_seconds}, settings.batch);
      uow->commit();
    }
    if (batch.empty()) return report;
    for (const auto& m : batch) {
      const Instant at = clock.now();
      std::string error;
      if (m.channel == "email") {
        error = send_mail(mailer, m, settings, at);
      } else if (m.channel == "webhook") {
        auto uow = store.begin_read();
        error = call_webhook(*uow, web, m, at);
      } else {
        error = "unknown channel " + m.channel;
      }
      auto uow = store.begin_write();
      if (error.empty()) {
        uow->mark_delivered(m.id, settings.worker, clock.now());
        ++report.delivered;
      } else {
        const int attempts = m.attempts + 1;
        // A call to a removed webhook is given up at once: no retry can succeed.
        const bool last = attempts >= settings.max_attempts || error == kRemoved;
        const Instant done = clock.now();
        uow->mark_attempt_failed(m.id, settings.worker, error,
                                 Instant{done.seconds + retry_delay_seconds(attempts)},
                                 last ? std::optional<Instant>(done) : std::nullopt);
        ++report.failed;
        if (last) ++report.gave_up;
      }
      uow->commit();
    }
  }
}

}  // namespace waiver::app
