// Internal: the bounded waits of histogram readers, which never wait long for a writer.
#pragma once

namespace bentoml::metrics::detail {

/// How often a reader checks on an observation in flight before it stops waiting for it. A
/// running writer completes an observation in a few nanoseconds; 256 checks with a pause
/// between them take a few microseconds, so a scrape of N shards never waits more than N times
/// that, whatever the writers do.
inline constexpr int kCompletionChecks = 256;

/// Tells the CPU that this is a wait loop (frees the core's other thread, saves power).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace bentoml::metrics::detail
