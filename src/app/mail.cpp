#include "app/mail.hpp"

#include <sodium.h>

#include <ctime>

namespace waiver::app {
namespace {

void escape_html(std::string& out, std::string_view text) {
  for (char c : text) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
}

std::string base64(std::string_view data) {
  std::string out(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// Base64 in lines of 76 characters, as MIME wants.
std::string base64_lines(std::string_view data) {
  const std::string b = base64(data);
  std::string out;
  for (std::size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + "\r\n";
  return out;
}

// A header value on one line: a line break in a value would start a header of the attacker's.
std::string one_line(std::string_view v) {
  std::string out;
  for (char c : v) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

bool is_ascii(std::string_view v) {
  for (unsigned char c : v)
    if (c >= 0x80) return false;
  return true;
}

// RFC 2047 encoded words of at most 45 bytes each, never splitting a UTF-8 sequence.
std::string encoded_words(std::string_view v) {
  std::string out;
  std::size_t i = 0;
  while (i < v.size()) {
    std::size_t n = std::min<std::size_t>(45, v.size() - i);
    while (i + n < v.size() && n > 0 && (static_cast<unsigned char>(v[i + n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(v.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string header_text(std::string_view v) {
  const std::string line = one_line(v);
  return is_ascii(line) ? line : encoded_words(line);
}

}  // namespace

std::string render_template(std::string_view tpl, const std::map<std::string, std::string>& vars, bool html) {
  std::string out;
  std::size_t i = 0;
  while (i < tpl.size()) {
    auto open = tpl.find("{{", i);
    if (open == std::string_view::npos) {
      out += tpl.substr(i);
      break;
    }
    auto close = tpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out += tpl.substr(i);
      break;
    }
    out += tpl.substr(i, open - i);
    auto it = vars.find(std::string(tpl.substr(open + 2, close - open - 2)));
    if (it != vars.end()) {
      if (html)
        escape_html(out, it->second);
      else
        out += it->second;
    }
    i = close + 2;
  }
  return out;
}

std::string rfc5322_date(domain::Instant t) {
  std::time_t s = t.seconds;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string to_rfc5322(const MailMessage& m) {
  const std::string boundary = "=_waiver_" + std::to_string(std::hash<std::string>{}(m.message_id));
  std::string out;
  out += "Date: " + one_line(m.date) + "\r\n";
  out += "From: " + one_line(m.from) + "\r\n";
  out += "To: " + one_line(m.to) + "\r\n";
  out += "Subject: " + header_text(m.subject) + "\r\n";
  out += "Message-ID: " + one_line(m.message_id) + "\r\n";
  if (!m.thread.empty()) {
    out += "In-Reply-To: " + one_line(m.thread) + "\r\n";
    out += "References: " + one_line(m.thread) + "\r\n";
  }
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(m.text);
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace waiver::app
