#include "domain/time.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace waiver::domain {
namespace {

TEST(Time, EpochIsDayZero) {
  ASSERT_EQ(parse_date("1970-01-01"), Date{0});
  EXPECT_EQ(format_date(Date{0}), "1970-01-01");
  EXPECT_EQ(parse_date("1970-01-02"), Date{1});
  EXPECT_EQ(parse_date("2000-03-01"), Date{11017});
}

TEST(Time, DateRoundTrips) {
  for (const char* text : {"1900-01-01", "1969-12-31", "1970-01-01", "2000-02-29", "2024-02-29", "2026-01-31",
                           "2026-12-31", "2099-06-15", "9999-12-31"}) {
    auto d = parse_date(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(format_date(*d), text);
  }
}

TEST(Time, EveryDayOfSeveralYearsRoundTripsThroughFormat) {
  // Consecutive days format to consecutive, parseable dates: no gaps, no duplicates.
  const Date from = *parse_date("1999-12-01");
  const Date to = *parse_date("2005-03-01");
  for (Date d = from; d <= to; d = add_days(d, 1)) {
    auto back = parse_date(format_date(d));
    ASSERT_TRUE(back) << format_date(d);
    ASSERT_EQ(*back, d);
  }
  // 1999-12-01 → 2000-12-01: 366; → 2004-12-01: 1461; → 2005-03-01: 31 + 31 + 28.
  EXPECT_EQ(days_between(from, to), 366 + 1461 + 90);
}

TEST(Time, LeapYears) {
  EXPECT_TRUE(parse_date("2024-02-29"));
  EXPECT_TRUE(parse_date("2000-02-29"));   // divisible by 400
  EXPECT_FALSE(parse_date("1900-02-29"));  // divisible by 100, not by 400
  EXPECT_FALSE(parse_date("2100-02-29"));
  EXPECT_FALSE(parse_date("2025-02-29"));
  EXPECT_EQ(days_between(*parse_date("2024-01-01"), *parse_date("2025-01-01")), 366);
  EXPECT_EQ(days_between(*parse_date("2025-01-01"), *parse_date("2026-01-01")), 365);
  EXPECT_EQ(format_date(add_days(*parse_date("2024-02-28"), 1)), "2024-02-29");
  EXPECT_EQ(format_date(add_days(*parse_date("2026-02-28"), 1)), "2026-03-01");
}

TEST(Time, RefusesImpossibleOrMalformedDates) {
  for (const char* text : {"2026-02-30", "2025-02-29",  "2026-13-01", "2026-00-10", "2026-04-31",
                           "2026-01-00", "2026-01-32",  "2026-1-01",  "2026-01-1",  "26-01-01",
                           "2026/01/01", "2026-01-01x", "abcd-ef-gh", "2026-0a-01", "2026-01-0b",
                           "+026-01-01", "2026-01- 1",  "",           "1899-12-31", "2026-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_date(text)) << text;
  }
}

TEST(Time, InstantWithZRoundTrips) {
  auto t = parse_instant("2026-11-27T18:55:40Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, start_of(*parse_date("2026-11-27")).seconds + 18 * 3600 + 55 * 60 + 40);
  EXPECT_EQ(format_instant(*t), "2026-11-27T18:55:40Z");
  EXPECT_EQ(parse_instant("1970-01-01T00:00:00Z"), Instant{0});
  EXPECT_EQ(parse_instant("1970-01-01T00:00:01Z"), Instant{1});
  EXPECT_EQ(format_instant(Instant{86399}), "1970-01-01T23:59:59Z");
  EXPECT_EQ(format_instant(Instant{86400}), "1970-01-02T00:00:00Z");
  EXPECT_EQ(parse_instant("2026-11-27t18:55:40z"), t);  // RFC 3339 allows lower case
}

TEST(Time, PlainDateAsInstantMeansItsStart) {
  EXPECT_EQ(parse_instant("2027-01-31"), start_of(*parse_date("2027-01-31")));
  EXPECT_FALSE(parse_instant("2027-02-31"));
}

TEST(Time, RefusesMalformedInstants) {
  for (const char* text :
       {"2026-11-27T18:55:40", "2026-11-27T18:55:40+00:00", "2026-11-27 18:55:40Z", "2026-11-27T24:00:00Z",
        "2026-11-27T23:60:00Z", "2026-11-27T23:59:60Z", "2026-02-30T00:00:00Z", "2026-11-27T1a:55:40Z",
        "2026-11-27T18-55-40Z", "2026-11-27T18:55:40.5Z", "now", ""}) {
    EXPECT_FALSE(parse_instant(text)) << text;
  }
}

TEST(Time, DateOfAndStartOf) {
  const Date d = *parse_date("2026-03-15");
  EXPECT_EQ(start_of(d).seconds, static_cast<std::int64_t>(d.days) * 86400);
  EXPECT_EQ(date_of(start_of(d)), d);
  EXPECT_EQ(date_of(Instant{start_of(d).seconds + 86399}), d);
  EXPECT_EQ(date_of(Instant{start_of(d).seconds + 86400}), add_days(d, 1));
  EXPECT_EQ(date_of(Instant{start_of(d).seconds - 1}), add_days(d, -1));
  EXPECT_EQ(year_of(d), 2026);
  EXPECT_EQ(year_of(*parse_date("2025-12-31")), 2025);
  EXPECT_EQ(year_of(*parse_date("2026-01-01")), 2026);
}

TEST(Time, NegativeEpochs) {
  EXPECT_EQ(date_of(Instant{-1}), Date{-1});
  EXPECT_EQ(date_of(Instant{-86400}), Date{-1});
  EXPECT_EQ(date_of(Instant{-86401}), Date{-2});
  EXPECT_EQ(format_instant(Instant{-1}), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_instant(Instant{-86400}), "1969-12-31T00:00:00Z");
  EXPECT_EQ(parse_instant("1969-12-31T23:59:59Z"), Instant{-1});
  EXPECT_EQ(format_date(Date{-1}), "1969-12-31");
  EXPECT_EQ(parse_date("1969-12-31"), Date{-1});
  EXPECT_EQ(year_of(Date{-1}), 1969);
  auto old = parse_instant("1900-03-01T12:00:00Z");
  ASSERT_TRUE(old);
  EXPECT_LT(old->seconds, 0);
  EXPECT_EQ(format_instant(*old), "1900-03-01T12:00:00Z");
}

TEST(Time, OrderingAndArithmetic) {
  const Date a = *parse_date("2026-01-01");
  const Date b = *parse_date("2026-04-01");
  EXPECT_LT(a, b);
  EXPECT_EQ(days_between(a, b), 90);
  EXPECT_EQ(days_between(b, a), -90);
  EXPECT_EQ(add_days(a, 90), b);
  EXPECT_LT(Instant{1}, Instant{2});
}

// format_date and format_instant write their digits by hand; the C library's gmtime_r and
// printf are the reference, for a day and an hour apart from 1600 to 2400.
TEST(Time, FormatsAsTheCLibraryWould) {
  auto by_libc = [](Instant t) {
    const auto when = static_cast<std::time_t>(t.seconds);
    std::tm tm{};
    gmtime_r(&when, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buf);
  };
  const std::int64_t from = start_of(*parse_date("1900-01-01")).seconds - 300LL * 366 * 86400;
  const std::int64_t to = start_of(*parse_date("2400-01-01")).seconds;
  int checked = 0;
  for (std::int64_t s = from; s < to; s += 86400 + 3607) {  // a day, an hour and seven seconds
    const Instant t{s};
    const std::string expected = by_libc(t);
    ASSERT_EQ(format_instant(t), expected);
    ASSERT_EQ(format_date(date_of(t)), expected.substr(0, 10));
    ++checked;
  }
  EXPECT_GT(checked, 280000);
}

TEST(Time, FormatsYearsBeyondFourDigits) {
  const Instant last = Instant{start_of(*parse_date("9999-12-31")).seconds + 86399};
  EXPECT_EQ(format_instant(last), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format_instant(Instant{last.seconds + 1}), "10000-01-01T00:00:00Z");
  const Date year_zero = add_days(*parse_date("1900-01-01"), -693961);  // year 0 is a leap year
  EXPECT_EQ(format_date(year_zero), "0000-01-01");
  EXPECT_EQ(format_date(add_days(year_zero, -1)), "-001-12-31");
}

}  // namespace
}  // namespace waiver::domain
