// `waiver jobs run` and `waiver outbox list|retry`.
#pragma once
#include <optional>
#include <string>

#include "app/services.hpp"
#include "cli/config.hpp"

namespace waiver::cli {

// Runs the scheduled jobs at `now`, then delivers what is due. Prints what it did on stdout,
// and on stderr how many deliveries failed; exits 0 while deliveries wait for a retry.
int jobs_run(app::Services& s, const Config& c, domain::Instant now);

int outbox_list(app::Services& s, const std::string& state, const std::string& who);
int outbox_retry(app::Services& s, std::optional<long long> id, const std::string& who);

// What delivery needs from the configuration, with this process's worker name.
app::DeliverySettings delivery_settings(const Config& c);

// The mailer the configuration asks for: SMTP when smtp_url is set, else a log line per mail.
std::unique_ptr<app::Mailer> make_mailer(const Config& c);

}  // namespace waiver::cli
