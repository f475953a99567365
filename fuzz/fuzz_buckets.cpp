// Bucket construction from arbitrary doubles: exponential_buckets, linear_buckets and explicit
// bounds. Either metrics::Error, or bounds that are strictly increasing, end with +Inf and, from
// the generators, number at most 100 + 2; a histogram built on them counts every observation in
// exactly one bucket: the first whose bound is not below it (std::lower_bound; NaN in +Inf),
// whichever way the family finds buckets (guide table or binary search).
#include <fuzzer/FuzzedDataProvider.h>

#include <bentoml/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace metrics = bentoml::metrics;

namespace {

double any_double(FuzzedDataProvider& in) {
  // Every bit pattern, NaNs, infinities and denormals included.
  const auto bits = in.ConsumeIntegral<std::uint64_t>();
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int mode = in.ConsumeIntegralInRange(0, 2);
  std::vector<double> bounds;
  try {
    if (mode == 0) {
      const double start = any_double(in), factor = any_double(in), end = any_double(in);
      bounds = metrics::exponential_buckets(start, factor, end);
    } else if (mode == 1) {
      const double start = any_double(in), step = any_double(in), end = any_double(in);
      bounds = metrics::linear_buckets(start, step, end);
    } else {
      const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, 40);
      for (std::size_t i = 0; i < count; ++i) bounds.push_back(any_double(in));
    }
  } catch (const metrics::Error&) {
    return 0;
  }
  if (mode != 2) {
    if (bounds.size() < 2 || bounds.size() > 102 || !std::isinf(bounds.back())) {
      fuzz::fail("generated buckets: " + std::to_string(bounds.size()) + " bounds");
    }
  }
  metrics::Registry registry;
  std::vector<double> accepted;
  try {
    metrics::Histogram histogram{
        {.name = "h", .documentation = "d", .buckets = bounds, .registry = &registry}};
    accepted = histogram.buckets();
    std::size_t observed = 0;
    std::vector<std::size_t> expected(accepted.size(), 0);  // per bucket, not cumulative
    while (in.remaining_bytes() >= 8 && observed < 16) {
      const double value = any_double(in);
      histogram.observe(value);
      ++observed;
      const auto bucket =
          std::isnan(value)
              ? accepted.size() - 1
              : static_cast<std::size_t>(std::lower_bound(accepted.begin(), accepted.end(), value) -
                                         accepted.begin());
      ++expected[bucket];
    }
    const auto samples = fuzz::read_samples(metrics::generate_latest(registry));
    std::size_t bucket_lines = 0, cumulative = 0;
    for (const auto& sample : samples) {
      if (sample.name != "h_bucket") continue;
      if (bucket_lines >= expected.size()) fuzz::fail("more bucket lines than bounds");
      cumulative += expected[bucket_lines++];
      if (sample.rest != " " + std::to_string(cumulative) + ".0") {
        fuzz::fail("bucket " + std::to_string(bucket_lines - 1) + " holds" + sample.rest +
                   ", expected " + std::to_string(cumulative));
      }
    }
    if (bucket_lines != accepted.size()) fuzz::fail("a bucket line per bound");
    // +Inf counts every observation, NaN included (its documented difference).
    const std::string inf_line = metrics::generate_latest(registry);
    const std::string needle = "h_bucket{le=\"+Inf\"} " + std::to_string(observed) + ".0\n";
    if (inf_line.find(needle) == std::string::npos) fuzz::fail("+Inf bucket != count", inf_line);
  } catch (const metrics::Error&) {
    return 0;
  }
  if (accepted.empty() || !std::isinf(accepted.back()) || accepted.back() < 0) {
    fuzz::fail("accepted buckets do not end with +Inf");
  }
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    if (std::isnan(accepted[i])) fuzz::fail("NaN bound accepted");
    if (i > 0 && !(accepted[i - 1] < accepted[i])) fuzz::fail("bounds not strictly increasing");
  }
  return 0;
}
