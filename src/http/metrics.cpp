#include "http/metrics.hpp"

#include <cstdio>

namespace waiver::http {
namespace {

// A label value: backslash, double quote and line feed escaped.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A bucket bound as Prometheus clients write it: 0.0025, not 0.0025000000000000001.
std::string bound(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void Metrics::observe(const std::string& method, const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  auto& h = durations_[{method, route}];
  ++h.count;
  h.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
}

void Metrics::count_deliveries(int delivered, int failed) {
  std::lock_guard lock(mutex_);
  delivered_ += static_cast<std::uint64_t>(delivered);
  failed_ += static_cast<std::uint64_t>(failed);
}

std::string Metrics::render(app::Services& services) const {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    header(out, "waiver_http_requests_total", "counter",
           "HTTP requests answered by this instance, by route and status.");
    for (const auto& [key, n] : requests_) {
      const auto& [method, route, status] = key;
      out += "waiver_http_requests_total{method=\"" + label(method) + "\",route=\"" + label(route) +
             "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
    header(out, "waiver_http_request_duration_seconds", "histogram",
           "Time from a request read to its answer written, by route.");
    for (const auto& [key, h] : durations_) {
      const std::string labels = "method=\"" + label(key.first) + "\",route=\"" + label(key.second) + "\"";
      for (std::size_t i = 0; i < kBuckets.size(); ++i)
        out += "waiver_http_request_duration_seconds_bucket{" + labels + ",le=\"" + bound(kBuckets[i]) +
               "\"} " + std::to_string(h.buckets[i]) + "\n";
      out += "waiver_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      out += "waiver_http_request_duration_seconds_sum{" + labels + "} " + number(h.sum) + "\n";
      out += "waiver_http_request_duration_seconds_count{" + labels + "} " + std::to_string(h.count) + "\n";
    }
    header(out, "waiver_delivery_attempts_total", "counter",
           "Deliveries attempted by this instance, by outcome.");
    out += "waiver_delivery_attempts_total{outcome=\"delivered\"} " + std::to_string(delivered_) + "\n";
    out += "waiver_delivery_attempts_total{outcome=\"failed\"} " + std::to_string(failed_) + "\n";
  }
  const auto pool = services.store.pool_stats();
  header(out, "waiver_db_pool_connections", "gauge", "Database connections of this instance, by state.");
  out += "waiver_db_pool_connections{state=\"in_use\"} " + std::to_string(pool.in_use) + "\n";
  out += "waiver_db_pool_connections{state=\"idle\"} " +
         std::to_string(pool.size - std::min(pool.size, pool.in_use)) + "\n";
  auto uow = services.store.begin_read();
  const auto counts = uow->outbox_counts();
  header(out, "waiver_outbox_messages", "gauge", "Notifications in the outbox (all instances), by state.");
  out += "waiver_outbox_messages{state=\"queued\"} " + std::to_string(counts.queued) + "\n";
  out += "waiver_outbox_messages{state=\"retrying\"} " + std::to_string(counts.retrying) + "\n";
  out += "waiver_outbox_messages{state=\"failed\"} " + std::to_string(counts.failed) + "\n";
  out += "waiver_outbox_messages{state=\"delivered\"} " + std::to_string(counts.delivered) + "\n";
  const auto runs = uow->job_runs();
  header(out, "waiver_job_runs_total", "counter", "Runs of the scheduled jobs (all instances).");
  for (const auto& r : runs)
    out += "waiver_job_runs_total{job=\"" + label(r.name) + "\"} " + std::to_string(r.runs) + "\n";
  header(out, "waiver_job_last_run_timestamp_seconds", "gauge",
         "When the scheduled jobs last ran (Unix time).");
  for (const auto& r : runs)
    out += "waiver_job_last_run_timestamp_seconds{job=\"" + label(r.name) + "\"} " +
           std::to_string(r.last_run_at.seconds) + "\n";
  return out;
}

}  // namespace waiver::http
