#include "domain/time.hpp"

#include <charconv>
#include <cstdio>

namespace waiver::domain {
namespace {

// Howard Hinnant's civil-from-days algorithms.
std::int32_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

struct Civil {
  int y;
  unsigned m;
  unsigned d;
};

Civil civil_from_days(std::int32_t z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Writes v as `width` decimal digits, zero-padded; v < 10^width.
void put_digits(char* out, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
}

std::optional<int> digits(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<Date> parse_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto y = digits(t.substr(0, 4));
  auto m = digits(t.substr(5, 2));
  auto d = digits(t.substr(8, 2));
  if (!y || !m || !d || *y < 1900 || *y > 9999 || *m < 1 || *m > 12 || *d < 1) return std::nullopt;
  if (static_cast<unsigned>(*d) > days_in_month(*y, static_cast<unsigned>(*m))) return std::nullopt;
  return Date{days_from_civil(*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d))};
}

std::string format_date(Date d) {
  const auto c = civil_from_days(d.days);
  if (c.y < 0 || c.y > 9999) {  // outside what a register holds: the general form
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.y, c.m, c.d);
    return buf;
  }
  // Digit by digit: snprintf was a third of writing a register page's text.
  std::string out = "0000-00-00";
  put_digits(out.data(), static_cast<unsigned>(c.y), 4);
  put_digits(out.data() + 5, c.m, 2);
  put_digits(out.data() + 8, c.d, 2);
  return out;
}

std::optional<Instant> parse_instant(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SSZ, or a plain date meaning its start.
  if (t.size() == 10) {
    auto d = parse_date(t);
    if (!d) return std::nullopt;
    return start_of(*d);
  }
  if (t.size() != 20 || (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':' ||
      (t[19] != 'Z' && t[19] != 'z'))
    return std::nullopt;
  auto d = parse_date(t.substr(0, 10));
  auto hh = digits(t.substr(11, 2));
  auto mm = digits(t.substr(14, 2));
  auto ss = digits(t.substr(17, 2));
  if (!d || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 59) return std::nullopt;
  return Instant{start_of(*d).seconds + *hh * 3600 + *mm * 60 + *ss};
}

std::string format_instant(Instant t) {
  const Date d = date_of(t);
  const std::int64_t rest = t.seconds - start_of(d).seconds;
  std::string out = format_date(d);
  const std::size_t at = out.size();
  out += "T00:00:00Z";
  const auto seconds = static_cast<unsigned>(rest);  // [0, 86400)
  put_digits(out.data() + at + 1, seconds / 3600, 2);
  put_digits(out.data() + at + 4, seconds / 60 % 60, 2);
  put_digits(out.data() + at + 7, seconds % 60, 2);
  return out;
}

Date date_of(Instant t) {
  std::int64_t days = t.seconds / 86400;
  if (t.seconds % 86400 < 0) --days;
  return Date{static_cast<std::int32_t>(days)};
}

Instant start_of(Date d) { return Instant{static_cast<std::int64_t>(d.days) * 86400}; }

int year_of(Date d) { return civil_from_days(d.days).y; }

}  // namespace waiver::domain
