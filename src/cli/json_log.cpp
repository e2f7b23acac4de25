#include "cli/json_log.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <string>

#include "domain/time.hpp"

namespace waiver::cli {
namespace {

bool is_key(std::string_view k) {
  if (k.empty() || k.size() > 64) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// A bare value that reads as a JSON number stays a number.
bool is_number(std::string_view v) {
  if (v.empty() || v.size() > 20) return false;
  std::size_t i = v[0] == '-' ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < v.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(v[i])))
      digits = true;
    else if (v[i] == '.' && !dot)
      dot = true;
    else
      return false;
  }
  return digits && v.back() != '.' && !(v.size() > 1 && v[0] == '0' && v[1] != '.');
}

}  // namespace

std::string fields_of(std::string_view m) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  std::size_t i = 0;
  while (i < m.size()) {
    while (i < m.size() && m[i] == ' ') ++i;
    if (i == m.size()) break;
    const auto eq = m.find('=', i);
    if (eq == std::string_view::npos || !is_key(m.substr(i, eq - i))) return "";
    const std::string key(m.substr(i, eq - i));
    i = eq + 1;
    std::string value;
    if (i < m.size() && m[i] == '"') {
      const auto close = m.find('"', i + 1);
      if (close == std::string_view::npos) return "";
      value = m.substr(i + 1, close - i - 1);
      i = close + 1;
      if (i < m.size() && m[i] != ' ') return "";
      out[key] = value;
    } else {
      const auto end = std::min(m.find(' ', i), m.size());
      value = m.substr(i, end - i);
      i = end;
      if (is_number(value))
        out[key] = nlohmann::ordered_json::parse(value);
      else
        out[key] = value;
    }
  }
  if (out.empty()) return "";
  const std::string text = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.substr(1, text.size() - 2);
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto since = msg.time.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
  std::string stamp = domain::format_instant(domain::Instant{secs.count()});  // …SSZ
  stamp.pop_back();
  stamp += '.';
  stamp += static_cast<char>('0' + millis / 100);
  stamp += static_cast<char>('0' + millis / 10 % 10);
  stamp += static_cast<char>('0' + millis % 10);
  stamp += 'Z';
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  std::string line = std::string("{\"time\":\"") + stamp + "\",\"level\":\"" +
                     std::string(spdlog::level::to_string_view(msg.level).data(),
                                 spdlog::level::to_string_view(msg.level).size()) +
                     "\"";
  const std::string fields = fields_of(payload);
  if (!fields.empty())
    line += "," + fields;
  else
    line +=
        ",\"msg\":" +
        nlohmann::json(std::string(payload)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += "}\n";
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace waiver::cli
