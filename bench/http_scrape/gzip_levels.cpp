// Which zlib level pays for a gzip scrape: renders the http_scrape body (10,000 counter series)
// in both formats and compresses it at each level, printing the median time of 21 runs, the size,
// and the link speed below which the level's extra CPU time is won back by the bytes it saves
// against level 1 (saved bits / extra seconds). The Exposer's default gzip_level comes from this.
// It compresses with zlib as the Exposer does (one deflate call, gzip framing, default window,
// memory level and strategy), through the public API and zlib only.
//
//   gzip_levels [series]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <zlib.h>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

/// Replaces `out` with the gzip encoding of `in` at zlib `level`, as the Exposer's responses.
void gzip_compress(const std::string& in, std::string& out, int level) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::fprintf(stderr, "gzip_levels: deflateInit2 failed at level %d\n", level);
    std::exit(1);
  }
  out.resize(deflateBound(&stream, static_cast<uLong>(in.size())));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) {
    std::fprintf(stderr, "gzip_levels: deflate failed at level %d\n", level);
    std::exit(1);
  }
}

/// Median wall time of 21 calls of `work`, in milliseconds.
template <class Work>
double median_ms(Work&& work) {
  std::vector<double> times;
  for (int run = 0; run < 21; ++run) {
    const auto start = std::chrono::steady_clock::now();
    work();
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::nth_element(times.begin(), times.begin() + 10, times.end());
  return times[10];
}

}  // namespace

int main(int argc, char** argv) {
  const int series = argc > 1 ? std::stoi(argv[1]) : 10000;
  metrics::Registry registry;
  metrics::Counter counter{{.name = "requests",
                            .documentation = "Requests",
                            .labelnames = {"path", "code"},
                            .registry = &registry}};
  for (int i = 0; i < series; ++i) {
    counter.labels({"/api/v1/series_" + std::to_string(i), "200"}).inc(i);
  }
  std::string out;
  for (const metrics::Format format :
       {metrics::Format::text_0_0_4, metrics::Format::openmetrics_1_0_0}) {
    std::string body;
    const double render_ms = median_ms([&] {
      body.clear();
      metrics::write_latest(body, registry, format);
    });
    std::printf("%s, %d counter series: %zu bytes, rendered in %.2f ms\n",
                format == metrics::Format::text_0_0_4 ? "text 0.0.4" : "OpenMetrics 1.0.0", series,
                body.size(), render_ms);
    std::printf("  level     bytes   ratio  gzip ms  pays below (Mbit/s)\n");
    const double level1_ms = median_ms([&] { gzip_compress(body, out, 1); });
    gzip_compress(body, out, 1);
    const std::size_t level1_bytes = out.size();
    for (const int level : {1, 2, 3, 4, 5, 6, 9}) {
      const double ms =
          level == 1 ? level1_ms : median_ms([&] { gzip_compress(body, out, level); });
      gzip_compress(body, out, level);
      const std::size_t bytes = out.size();
      std::printf("  %5d %9zu %6.1fx %8.2f", level, bytes,
                  static_cast<double>(body.size()) / static_cast<double>(bytes), ms);
      const double saved_bits =
          8.0 * (static_cast<double>(level1_bytes) - static_cast<double>(bytes));
      if (level > 1 && saved_bits > 0 && ms > level1_ms) {
        std::printf("  %8.1f", saved_bits / ((ms - level1_ms) * 1e3));  // bits per µs = Mbit/s
      }
      std::printf("\n");
    }
  }
  return 0;
}
