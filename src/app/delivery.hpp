// Delivering the outbox: claim what is due, send it, mark it delivered only once the receiver
// accepted it; otherwise try again later, with exponential back-off, until the attempts allowed
// run out. Several workers (instances) never take the same message at the same time.
#pragma once
#include <string>

#include "app/mail.hpp"
#include "app/ports.hpp"
#include "app/web_client.hpp"

namespace waiver::app {

// The port for sending mail (SMTP through libcurl in src/net/curl_mailer.cpp).
class Mailer {
 public:
  virtual ~Mailer() = default;
  // Empty when the server accepted the message; otherwise why not. Never throws.
  virtual std::string send(const MailMessage& message) = 0;
};

struct DeliverySettings {
  std::string mail_from = "Waiver <waiver@localhost>";
  std::string worker;  // this instance's name in claims
  int batch = 20;
  int lease_seconds = 300;  // a claim older than this is taken over (its worker died)
  int max_attempts = 48;
};

struct DeliveryReport {
  int delivered = 0;
  int failed = 0;   // attempts that failed this time
  int gave_up = 0;  // of which the last allowed
};

// The wait after the `attempts`-th failed attempt: 10 s, doubling, at most an hour.
int retry_delay_seconds(int attempts);

// `Waiver-Signature` header value: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">.
std::string webhook_signature(const std::string& secret, std::int64_t timestamp, const std::string& body);

// Delivers every message due at `now`, batch after batch, until none is left.
DeliveryReport deliver_due(Store& store, Mailer& mailer, WebClient& web, const DeliverySettings& settings,
                           const Clock& clock);

}  // namespace waiver::app
