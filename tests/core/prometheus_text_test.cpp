// The Prometheus text format: families, escaped labels, cumulative histogram buckets.
#include "core/prometheus_text.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(PrometheusText, FamiliesAndSamplesWithEscapedLabels) {
  prometheus_text out;
  out.family("blendroute_breaches_total", "counter", "Breaches,\nby tier.");
  out.sample("blendroute_breaches_total", {{"tier", R"(gold "vip")"}, {"sla", "bot_attempt"}}, 3);
  out.sample("blendroute_up", {}, 0.25);
  EXPECT_EQ(out.text(),
            "# HELP blendroute_breaches_total Breaches,\\nby tier.\n"
            "# TYPE blendroute_breaches_total counter\n"
            "blendroute_breaches_total{tier=\"gold \\\"vip\\\"\",sla=\"bot_attempt\"} 3\n"
            "blendroute_up 0.25\n");
}

TEST(PrometheusText, HistogramBucketsAreCumulativeAndEndWithInf) {
  latency_histogram values;
  values.record(microseconds{50});
  values.record(microseconds{700});
  values.record(milliseconds{20});
  values.record(std::chrono::seconds{30});
  prometheus_text out;
  out.histogram("lat_seconds", {{"tier", "standard"}}, values);
  const std::string& text = out.text();
  EXPECT_NE(text.find("lat_seconds_bucket{tier=\"standard\",le=\"0.0001\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("lat_seconds_bucket{tier=\"standard\",le=\"0.001\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{tier=\"standard\",le=\"0.025\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{tier=\"standard\",le=\"10\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{tier=\"standard\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{tier=\"standard\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{tier=\"standard\"} 30.02075\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace blendroute
