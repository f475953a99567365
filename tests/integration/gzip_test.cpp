// The endpoint's gzip encoder: whichever library encodes (ISA-L at level 1 where installed,
// libdeflate, zlib), its output is one gzip member that zlib inflates back to the input, for
// exposition text, data that does not compress (ISA-L's bound can overflow: the next encoder
// must take over) and nothing at all, at every level the Exposer accepts.
#include "http/gzip.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

/// Inflates one gzip member; fails the test on anything else (trailing bytes included).
std::string gunzip(std::string_view compressed) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[65536];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  EXPECT_EQ(result, Z_STREAM_END);
  EXPECT_EQ(stream.avail_in, 0u) << "bytes after the gzip member";
  inflateEnd(&stream);
  return out;
}

std::string exposition_text() {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "requests",
                            .documentation = "Requests",
                            .labelnames = {"path", "code"},
                            .registry = &registry}};
  for (int i = 0; i < 10000; ++i) {
    counter.labels({"/api/v1/series_" + std::to_string(i), "200"}).inc(i);
  }
  return metrics::generate_latest(registry);
}

std::string random_bytes(std::size_t size) {
  std::mt19937_64 generator(42);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(generator());
  return bytes;
}

}  // namespace

TEST(GzipEncoder, EveryLevelRoundTripsTextRandomBytesAndNothing) {
  const std::string inputs[] = {exposition_text(), random_bytes(3 << 20), random_bytes(100),
                                std::string()};
  bentoml::metrics::detail::GzipEncoder encoder;
  for (int level : {1, 0, 6, 9, -1, 1}) {
    for (const std::string& input : inputs) {
      ASSERT_TRUE(encoder.compress(input, level)) << "level " << level;
      EXPECT_EQ(gunzip(encoder.output()), input) << "level " << level << ", " << input.size();
    }
  }
  // Text compresses well at the endpoint's level.
  ASSERT_TRUE(encoder.compress(inputs[0], 1));
  EXPECT_LT(encoder.output().size(), inputs[0].size() / 8);
}
