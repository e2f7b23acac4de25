// Prometheus metrics of one instance: requests by route and status with latency histograms,
// deliveries, and, read at each scrape, the database pool, the outbox and the job runs.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "app/services.hpp"

namespace waiver::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

  // One answered request: `route` is the route table's OpenAPI path, "static" or "unmatched".
  void observe(const std::string& method, const std::string& route, int status, double seconds);
  void count_deliveries(int delivered, int failed);

  // The text exposition format (version 0.0.4); `services` gives the pool, outbox and jobs.
  std::string render(app::Services& services) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> durations_;
  std::uint64_t delivered_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace waiver::http
