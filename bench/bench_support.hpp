// Shared by the benchmarks: observed values, bucket bounds, an allocation counter.
#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace bench {

/// 4096 log-normal samples with a median of about 0.05 s, read cyclically (BENCH.md).
inline const std::vector<double>& observed_values() {
  static const std::vector<double> values = [] {
    std::mt19937_64 random(12345);
    std::lognormal_distribution<double> distribution(std::log(0.05), 1.0);
    std::vector<double> samples(4096);
    for (double& sample : samples) sample = distribution(random);
    return samples;
  }();
  return values;
}

/// Heap allocations made by this process so far (operator new is counted in bench_main.cpp).
std::uint64_t allocations() noexcept;

}  // namespace bench
