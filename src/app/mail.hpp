// Mails: what a notice says (from the templates in mail_templates.cpp), and the RFC 5322 message
// that carries it (plain text and HTML, threaded by the request's reference).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "domain/notifications.hpp"

namespace waiver::app {

struct MailContent {
  std::string subject;
  std::string text;
  std::string html;
};

// {{name}} is replaced by the value of `name`, HTML-escaped when `html`; an unknown name by
// nothing. The templates are Waiver's own, so a missing name is a programming error caught by
// the tests, not by the reader.
std::string render_template(std::string_view tpl, const std::map<std::string, std::string>& vars, bool html);

// What a notice about request `r` says; `link` is the request's address in the web interface.
MailContent compose(const domain::Notice& notice, const domain::ExceptionRequest& r, const std::string& link);

// The weekly digest: one line per request that waits for the person.
struct DigestLine {
  std::string ref, title, slot, waiting_since, link;
};
MailContent compose_digest(const std::vector<DigestLine>& lines, const std::string& week);

struct MailMessage {
  std::string from;
  std::string to;
  std::string subject;
  std::string text;
  std::string html;
  std::string message_id;  // <…@host>
  std::string thread;      // <ref@host>: In-Reply-To and References, so a request's mails thread
  std::string date;        // RFC 5322 date
};

// The whole message, CRLF line ends, bodies in base64, headers free of injected line breaks.
std::string to_rfc5322(const MailMessage& m);
std::string rfc5322_date(domain::Instant t);

}  // namespace waiver::app
