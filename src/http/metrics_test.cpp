#include "http/metrics.hpp"

#include <gtest/gtest.h>

#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::http {
namespace {

class FixedClock final : public app::Clock {
 public:
  domain::Instant now() const override { return *domain::parse_instant("2026-03-01T09:00:00Z"); }
};

TEST(Metrics, RequestsAreCountedByRouteAndStatusWithCumulativeBuckets) {
  waiver::testing::TempDir dir("waiver-metrics");
  auto store = store::open_store({store::DatabaseUrl::Engine::sqlite, dir.file("m.db").string()}, {3, true});
  FixedClock clock;
  app::Services services{*store, clock, {}};
  Metrics m;
  m.observe("GET", "/exceptions/{id}", 200, 0.0004);
  m.observe("GET", "/exceptions/{id}", 200, 0.03);
  m.observe("GET", "/exceptions/{id}", 404, 0.002);
  m.observe("POST", "/weird\"route", 500, 7.0);
  m.count_deliveries(3, 1);
  const std::string text = m.render(services);
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has("waiver_http_requests_total{method=\"GET\",route=\"/exceptions/{id}\",status=\"200\"} 2"));
  EXPECT_TRUE(has("waiver_http_requests_total{method=\"GET\",route=\"/exceptions/{id}\",status=\"404\"} 1"));
  EXPECT_TRUE(
      has("waiver_http_request_duration_seconds_bucket{method=\"GET\",route=\"/exceptions/"
          "{id}\",le=\"0.001\"} 1"));
  EXPECT_TRUE(
      has("waiver_http_request_duration_seconds_bucket{method=\"GET\",route=\"/exceptions/"
          "{id}\",le=\"0.0025\"} 2"));
  EXPECT_TRUE(
      has("waiver_http_request_duration_seconds_bucket{method=\"GET\",route=\"/exceptions/"
          "{id}\",le=\"0.05\"} 3"));
  EXPECT_TRUE(has("waiver_http_request_duration_seconds_count{method=\"GET\",route=\"/exceptions/{id}\"} 3"));
  EXPECT_TRUE(has(
      "waiver_http_request_duration_seconds_bucket{method=\"POST\",route=\"/weird\\\"route\",le=\"5\"} 0"));
  EXPECT_TRUE(
      has("waiver_http_request_duration_seconds_bucket{method=\"POST\",route=\"/"
          "weird\\\"route\",le=\"+Inf\"} 1"));
  EXPECT_TRUE(has("waiver_delivery_attempts_total{outcome=\"delivered\"} 3"));
  EXPECT_TRUE(has("waiver_db_pool_connections{state=\"idle\"} 3") ||
              has("waiver_db_pool_connections{state=\"idle\"} 2"));
  EXPECT_TRUE(has("waiver_outbox_messages{state=\"queued\"} 0"));
  EXPECT_TRUE(has("# TYPE waiver_http_request_duration_seconds histogram"));
}

}  // namespace
}  // namespace waiver::http
