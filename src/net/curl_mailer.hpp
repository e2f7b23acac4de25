// Mail over SMTP with libcurl: smtp:// (STARTTLS when the server offers it, or required with
// `starttls: required`), smtps:// (TLS from the first byte), user and password from the URL.
// Without a URL, mail is only logged.
#pragma once
#include <string>

#include "app/delivery.hpp"

namespace waiver::net {

struct SmtpSettings {
  std::string url;                         // smtp://[user:password@]host:port or smtps://…
  std::string starttls = "opportunistic";  // opportunistic | required | off (smtp:// only)
  long timeout_seconds = 30;
};

class CurlMailer final : public app::Mailer {
 public:
  explicit CurlMailer(SmtpSettings settings);
  std::string send(const app::MailMessage& message) override;

 private:
  SmtpSettings settings_;
};

// Logs each mail's recipients and subject instead of sending it (WAIVER_SMTP_URL unset).
class LogMailer final : public app::Mailer {
 public:
  std::string send(const app::MailMessage& message) override;
};

// The address inside "Name <address>", or the text itself.
std::string bare_address(const std::string& from);

}  // namespace waiver::net
