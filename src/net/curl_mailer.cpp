#include "net/curl_mailer.hpp"

#include <spdlog/spdlog.h>
#include "net/curl_handles.hpp"

#include <cstring>
#include <memory>
#include <mutex>

namespace waiver::net {
namespace {

struct Source {
  std::string data;
  std::size_t sent = 0;
};

std::size_t feed(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* src = static_cast<Source*>(user);
  const std::size_t n = std::min(size * count, src->data.size() - src->sent);
  std::memcpy(buffer, src->data.data() + src->sent, n);
  src->sent += n;
  return n;
}

}  // namespace

std::string bare_address(const std::string& from) {
  auto open = from.rfind('<');
  auto close = from.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return from.substr(open + 1, close - open - 1);
  return from;
}

CurlMailer::CurlMailer(SmtpSettings settings) : settings_(std::move(settings)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string CurlMailer::send(const app::MailMessage& message) {
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return "libcurl cannot start";
  CURL* c = curl.get();
  const std::string from = "<" + bare_address(message.from) + ">";
  const std::string to = "<" + bare_address(message.to) + ">";
  std::unique_ptr<curl_slist, ListDeleter> rcpt(curl_slist_append(nullptr, to.c_str()));
  Source src{app::to_rfc5322(message), 0};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, settings_.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
  curl_easy_setopt(c, CURLOPT_READDATA, &src);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(src.data.size()));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  if (settings_.url.starts_with("smtp://")) {
    if (settings_.starttls == "required")
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    else if (settings_.starttls != "off")
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return "";
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  std::string why = error[0] ? error : curl_easy_strerror(rc);
  if (code > 0) why += " (SMTP " + std::to_string(code) + ")";
  return why;
}

std::string LogMailer::send(const app::MailMessage& message) {
  spdlog::info("event=mail_logged reason=\"no SMTP server configured\" to={} subject=\"{}\"", message.to,
               message.subject);
  return "";
}

}  // namespace waiver::net
