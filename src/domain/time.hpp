// Calendar dates and instants, UTC only, with strict parsing (2026-02-30 is refused).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace waiver::domain {

// Days since 1970-01-01.
struct Date {
  std::int32_t days = 0;
  auto operator<=>(const Date&) const = default;
};

// Seconds since the Unix epoch, UTC.
struct Instant {
  std::int64_t seconds = 0;
  auto operator<=>(const Instant&) const = default;
};

std::optional<Date> parse_date(std::string_view text);
std::string format_date(Date d);
std::optional<Instant> parse_instant(std::string_view text);  // 2026-11-27T18:55:40Z
std::string format_instant(Instant t);
Date date_of(Instant t);
Instant start_of(Date d);
inline Date add_days(Date d, int n) { return Date{d.days + n}; }
inline int days_between(Date from, Date to) { return to.days - from.days; }
int year_of(Date d);

}  // namespace waiver::domain
