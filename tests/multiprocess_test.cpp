// Multiprocess mode within one process: the files' bytes (prometheus_client 0.16's layout and
// keys), growth, the aggregate of a directory, corrupt and truncated files, the newer
// timestamped layout, and what multiprocess mode refuses. Cross-process behaviour (fork, kill,
// Python) is in multiprocess_process_test.cpp and tests/integration/multiprocess_test.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bentoml/metrics.hpp"
#include "multiprocess_support.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
namespace multiprocess = bentoml::metrics::multiprocess;
using metrics::testing::aggregate;
using metrics::testing::f64_at;
using metrics::testing::MultiprocessScope;
using metrics::testing::own_file;
using metrics::testing::parse_exposition;
using metrics::testing::read_file;
using metrics::testing::TempDir;
using metrics::testing::u32_at;
using metrics::testing::write_file;

namespace {

/// Collects warnings for the duration of a test.
class Warnings {
 public:
  Warnings() {
    multiprocess::set_warning_handler(
        [this](std::string_view message) { messages.emplace_back(message); });
  }
  Warnings(const Warnings&) = delete;
  Warnings& operator=(const Warnings&) = delete;
  ~Warnings() { multiprocess::set_warning_handler({}); }
  std::vector<std::string> messages;
};

/// The entries of a file: (key, value) in order; fails the test if the layout is off.
std::vector<std::pair<std::string, double>> entries_of(const std::string& bytes,
                                                       std::size_t value_bytes = 8) {
  std::vector<std::pair<std::string, double>> entries;
  const std::uint32_t used = u32_at(bytes, 0);
  std::size_t at = 8;
  while (at < used) {
    const std::uint32_t length = u32_at(bytes, at);
    const std::size_t padding = 8 - (length + 4) % 8;
    const std::string key = bytes.substr(at + 4, length);
    EXPECT_EQ(bytes.substr(at + 4 + length, padding), std::string(padding, ' '));
    entries.emplace_back(key, f64_at(bytes, at + 4 + length + padding));
    at += 4 + length + padding + value_bytes;
  }
  EXPECT_EQ(at, used);
  return entries;
}

TEST(MultiprocessFile, LayoutAndKeysAreThoseOfPrometheusClient016) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter counter{{.name = "mp_requests",
                            .documentation = "Requests \"served\"\nby code \xC3\xA9",
                            .labelnames = {"path", "code"},
                            .registry = &registry}};
  counter.labels({"/\xC3\xA9\xF0\x9F\x98\x80", "2\"0\\0\n\t\x01\x7F"}).inc(3);
  const std::string bytes = read_file(dir.file(own_file("counter")));
  ASSERT_EQ(bytes.size(), 65536u);  // Python's initial size
  const auto entries = entries_of(bytes);
  ASSERT_EQ(entries.size(), 1u);
  // json.dumps([...], sort_keys=True) as /usr/bin/python3 printed it.
  EXPECT_EQ(entries[0].first,
            R"(["mp_requests", "mp_requests_total", {"code": "2\"0\\0\n\t\u0001\u007f", )"
            R"("path": "/\u00e9\ud83d\ude00"}, "Requests \"served\"\nby code \u00e9"])");
  EXPECT_EQ(entries[0].second, 3.0);
  EXPECT_EQ(u32_at(bytes, 4), 0u);  // the padding after `used`
}

TEST(MultiprocessFile, HistogramAndSummaryEntriesInPythonsOrder) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"z", "a"},
                                .buckets = {1.0, 1e6},
                                .registry = &registry}};
  histogram.labels({"1", "2"}).observe(2.5);
  metrics::Summary summary{{.name = "s", .documentation = "", .registry = &registry}};
  summary.observe(4);
  summary.observe(0.5);
  const auto h = entries_of(read_file(dir.file(own_file("histogram"))));
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].first, R"(["h", "h_sum", {"a": "2", "z": "1"}, "d"])");
  EXPECT_EQ(h[1].first, R"(["h", "h_bucket", {"a": "2", "le": "1.0", "z": "1"}, "d"])");
  EXPECT_EQ(h[2].first, R"(["h", "h_bucket", {"a": "2", "le": "1e+06", "z": "1"}, "d"])");
  EXPECT_EQ(h[3].first, R"(["h", "h_bucket", {"a": "2", "le": "+Inf", "z": "1"}, "d"])");
  EXPECT_EQ(h[0].second, 2.5);
  EXPECT_EQ(h[1].second, 0.0);
  EXPECT_EQ(h[2].second, 1.0);
  const auto s = entries_of(read_file(dir.file(own_file("summary"))));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].first, R"(["s", "s_count", {}, ""])");
  EXPECT_EQ(s[1].first, R"(["s", "s_sum", {}, ""])");
  EXPECT_EQ(s[0].second, 2.0);
  EXPECT_EQ(s[1].second, 4.5);
}

TEST(MultiprocessFile, GaugesGoToOneFilePerMode) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Gauge all{{.name = "g_all", .documentation = "d", .registry = &registry}};
  metrics::Gauge livesum{{.name = "g_livesum",
                          .documentation = "d",
                          .registry = &registry,
                          .multiprocess_mode = metrics::MultiprocessMode::livesum}};
  all.set(7);
  livesum.inc(2);
  livesum.dec(0.5);
  EXPECT_EQ(livesum.value(), 1.5);
  const auto a = entries_of(read_file(dir.file(own_file("gauge_all"))));
  const auto l = entries_of(read_file(dir.file(own_file("gauge_livesum"))));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(a[0].first, R"(["g_all", "g_all", {}, "d"])");
  EXPECT_EQ(a[0].second, 7.0);
  EXPECT_EQ(l[0].second, 1.5);
}

TEST(MultiprocessFile, GrowsByDoublingWhileHandlesKeepRecording) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "grow", .documentation = "d", .labelnames = {"id"}, .registry = &registry}};
  auto first = counter.labels({"first"});
  first.inc();
  const std::string padding(200, 'x');
  for (int i = 0; i < 3000; ++i) {  // ~740 KB of entries: the file doubles four times
    counter.labels({padding + std::to_string(i)}).inc(static_cast<double>(i));
    if (i % 500 == 0) first.inc();  // a handle from before every growth
  }
  first.inc();
  const std::string bytes = read_file(dir.file(own_file("counter")));
  EXPECT_EQ(bytes.size(), 1048576u);  // 64 KiB doubled to 1 MiB
  const auto entries = entries_of(bytes);
  ASSERT_EQ(entries.size(), 3001u);
  EXPECT_EQ(entries[0].second, 8.0);
  EXPECT_EQ(entries[2999].second, 2998.0);
  EXPECT_EQ(first.value(), 8.0);
  const auto parsed = parse_exposition(aggregate(dir.path()));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("grow_total", {{"id", "first"}}), 8.0);
  EXPECT_EQ(parsed.value("grow_total", {{"id", padding + "2999"}}), 2999.0);
}

TEST(MultiprocessFile, ContinuesAFileThisPidLeftBehind) {
  TempDir earlier;
  {
    MultiprocessScope on(earlier.path());
    metrics::Registry registry;
    metrics::Counter counter{{.name = "again", .documentation = "d", .registry = &registry}};
    counter.inc(5);
  }
  // An earlier process with this pid left its file: a new one continues its values, as
  // prometheus_client does (the aggregate never goes down); its new series follow the old ones.
  TempDir dir;
  write_file(dir.file(own_file("counter")), read_file(earlier.file(own_file("counter"))));
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter counter{{.name = "again", .documentation = "d", .registry = &registry}};
  EXPECT_EQ(counter.value(), 5.0);
  counter.inc(1);
  metrics::Counter other{{.name = "other", .documentation = "d", .registry = &registry}};
  other.inc(2);
  const auto entries = entries_of(read_file(dir.file(own_file("counter"))));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].second, 6.0);
  EXPECT_EQ(entries[1].second, 2.0);
}

TEST(MultiprocessFile, ACorruptFileThisPidLeftBehindStartsAfresh) {
  TempDir dir;
  write_file(dir.file(own_file("counter")), std::string(65536, '\x7F'));
  Warnings warnings;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter counter{{.name = "fresh", .documentation = "d", .registry = &registry}};
  counter.inc(2);
  EXPECT_EQ(warnings.messages.size(), 1u);
  const auto entries = entries_of(read_file(dir.file(own_file("counter"))));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].second, 2.0);
}

TEST(MultiprocessAggregate, SumsProcessesAndKeepsHistogramsConsistent) {
  TempDir dir;
  {
    MultiprocessScope on(dir.path());
    metrics::Registry registry;
    metrics::Counter counter{
        {.name = "c", .documentation = "d", .labelnames = {"code"}, .registry = &registry}};
    metrics::Histogram histogram{
        {.name = "h", .documentation = "d", .buckets = {0.5, 1.0}, .registry = &registry}};
    metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
    counter.labels({"200"}).inc(2);
    counter.labels({"500"}).inc(0.25);
    for (const double value : {0.1, 0.7, 3.0, 0.2}) histogram.observe(value);
    summary.observe(2);
  }
  // Two more "processes": copies of this one's files under other pids.
  for (const char* prefix : {"counter", "histogram", "summary"}) {
    const std::string bytes = read_file(dir.file(own_file(prefix)));
    write_file(dir.file(std::string(prefix) + "_1000001.db"), bytes);
    write_file(dir.file(std::string(prefix) + "_1000002.db"), bytes);
  }
  const std::string text = aggregate(dir.path());
  const auto parsed = parse_exposition(text);
  ASSERT_EQ(parsed.error, "") << text;
  EXPECT_EQ(parsed.value("c_total", {{"code", "200"}}), 6.0);
  EXPECT_EQ(parsed.value("c_total", {{"code", "500"}}), 0.75);
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "0.5"}}), 6.0);
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "1.0"}}), 9.0);
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "+Inf"}}), 12.0);
  EXPECT_EQ(parsed.value("h_count"), 12.0);  // the +Inf bucket, whatever
  EXPECT_DOUBLE_EQ(parsed.value("h_sum"), 12.0);
  EXPECT_EQ(parsed.value("s_count"), 3.0);
  EXPECT_EQ(parsed.value("s_sum"), 6.0);
  EXPECT_TRUE(metrics::testing::has_line(text, "# HELP c_total d"));
  EXPECT_TRUE(metrics::testing::has_line(text, "# TYPE c_total counter"));
  EXPECT_EQ(text.find("_created"), std::string::npos);  // not in the files, as in Python

  const std::string openmetrics = aggregate(dir.path(), metrics::Format::openmetrics_1_0_0);
  const auto om = parse_exposition(openmetrics, metrics::Format::openmetrics_1_0_0);
  ASSERT_EQ(om.error, "") << openmetrics;
  EXPECT_TRUE(om.eof);
  EXPECT_TRUE(metrics::testing::has_line(openmetrics, "# TYPE c counter"));
  EXPECT_EQ(om.value("c_total", {{"code", "200"}}), 6.0);
}

TEST(MultiprocessAggregate, AHistogramCutShortBeforeItsInfBucketStillHasOne) {
  // A Python process killed between two of a new series' entries leaves a file whose `used`
  // ends before the `+Inf` bucket (this library publishes a series' entries together).
  TempDir dir;
  {
    MultiprocessScope on(dir.path());
    metrics::Registry registry;
    metrics::Histogram histogram{{.name = "h",
                                  .documentation = "d",
                                  .labelnames = {"w"},
                                  .buckets = {0.5, 1.0},
                                  .registry = &registry}};
    histogram.labels({"whole"}).observe(0.7);
    histogram.labels({"whole"}).observe(3.0);
  }
  std::string bytes = read_file(dir.file(own_file("histogram")));
  // A second process: the whole series, then a new one cut after its 0.5 bucket.
  const auto entries = entries_of(bytes);
  ASSERT_EQ(entries.size(), 4u);  // _sum, 0.5, 1.0, +Inf
  std::string cut = bytes;
  std::string tail;
  for (std::size_t i = 0; i < 2; ++i) {  // _sum and the 0.5 bucket, of series w="cut"
    std::string key = entries[i].first;
    key.replace(key.find("\"whole\""), 7, "\"cut\"");
    const auto length = static_cast<std::uint32_t>(key.size());
    const std::size_t padding = 8 - (length + 4) % 8;
    tail.append(reinterpret_cast<const char*>(&length), 4);
    tail += key + std::string(padding, ' ') + std::string(8, '\0');
  }
  const std::uint32_t used = u32_at(bytes, 0);
  cut.replace(used, tail.size(), tail);
  const auto cut_used = static_cast<std::uint32_t>(used + tail.size());
  std::memcpy(cut.data(), &cut_used, sizeof cut_used);
  write_file(dir.file("histogram_1000001.db"), cut);
  const std::string text = aggregate(dir.path());
  const auto parsed = parse_exposition(text);
  ASSERT_EQ(parsed.error, "") << text;
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "+Inf"}, {"w", "whole"}}), 4.0) << text;
  EXPECT_EQ(parsed.value("h_count", {{"w", "whole"}}), 4.0);
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "0.5"}, {"w", "cut"}}), 0.0) << text;
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "+Inf"}, {"w", "cut"}}), 0.0) << text;
  EXPECT_EQ(parsed.value("h_count", {{"w", "cut"}}), 0.0);
  const std::string openmetrics = aggregate(dir.path(), metrics::Format::openmetrics_1_0_0);
  EXPECT_EQ(parse_exposition(openmetrics, metrics::Format::openmetrics_1_0_0).error, "")
      << openmetrics;
}

TEST(MultiprocessAggregate, GaugeModesOverProcesses) {
  TempDir dir;
  const std::vector<std::pair<metrics::MultiprocessMode, std::string>> modes = {
      {metrics::MultiprocessMode::all, "all"}, {metrics::MultiprocessMode::liveall, "liveall"},
      {metrics::MultiprocessMode::min, "min"}, {metrics::MultiprocessMode::livemin, "livemin"},
      {metrics::MultiprocessMode::max, "max"}, {metrics::MultiprocessMode::livemax, "livemax"},
      {metrics::MultiprocessMode::sum, "sum"}, {metrics::MultiprocessMode::livesum, "livesum"}};
  {
    MultiprocessScope on(dir.path());
    metrics::Registry registry;
    std::vector<metrics::Gauge> gauges;
    for (const auto& [mode, name] : modes) {
      gauges.emplace_back(metrics::Gauge::Options{.name = "g_" + name,
                                                  .documentation = "d",
                                                  .labelnames = {"k"},
                                                  .registry = &registry,
                                                  .multiprocess_mode = mode});
      gauges.back().labels({"v"}).set(10);
    }
  }
  // Process 1000001 holds 3 and process 1000002 holds 20 (edited copies of this one's files).
  for (const auto& [mode, name] : modes) {
    std::string bytes = read_file(dir.file(own_file("gauge_" + name)));
    const std::size_t value_at = u32_at(bytes, 0) - 8;
    for (const auto& [pid, value] : {std::pair{1000001, 3.0}, std::pair{1000002, 20.0}}) {
      std::memcpy(bytes.data() + value_at, &value, sizeof value);
      write_file(dir.file("gauge_" + name + "_" + std::to_string(pid) + ".db"), bytes);
    }
  }
  multiprocess::mark_process_dead(1000002, dir.path());  // its live* files go
  const std::string pid = std::to_string(::getpid());
  const auto parsed = parse_exposition(aggregate(dir.path()));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("g_all", {{"k", "v"}, {"pid", pid}}), 10.0);
  EXPECT_EQ(parsed.value("g_all", {{"k", "v"}, {"pid", "1000001"}}), 3.0);
  EXPECT_EQ(parsed.value("g_all", {{"k", "v"}, {"pid", "1000002"}}), 20.0);
  EXPECT_EQ(parsed.find("g_liveall", {{"k", "v"}, {"pid", "1000002"}}).size(), 0u);
  EXPECT_EQ(parsed.value("g_liveall", {{"k", "v"}, {"pid", "1000001"}}), 3.0);
  EXPECT_EQ(parsed.value("g_min", {{"k", "v"}}), 3.0);
  EXPECT_EQ(parsed.value("g_livemin", {{"k", "v"}}), 3.0);
  EXPECT_EQ(parsed.value("g_max", {{"k", "v"}}), 20.0);
  EXPECT_EQ(parsed.value("g_livemax", {{"k", "v"}}), 10.0);
  EXPECT_EQ(parsed.value("g_sum", {{"k", "v"}}), 33.0);
  EXPECT_EQ(parsed.value("g_livesum", {{"k", "v"}}), 13.0);
  for (const char* mode : {"all", "min", "max", "sum"}) {  // mark_process_dead left these
    EXPECT_EQ(read_file(dir.file(std::string("gauge_") + mode + "_1000002.db")).size(), 65536u);
  }
}

TEST(MultiprocessAggregate, CorruptAndTruncatedFilesAreSkippedWithOneWarningEach) {
  TempDir dir;
  {
    MultiprocessScope on(dir.path());
    metrics::Registry registry;
    metrics::Counter counter{{.name = "ok", .documentation = "d", .registry = &registry}};
    counter.inc(4);
  }
  const std::string good = read_file(dir.file(own_file("counter")));
  const std::uint32_t used = u32_at(good, 0);
  write_file(dir.file("counter_1000001.db"), good.substr(0, used - 3));  // truncated
  std::string bad_length = good;
  const std::uint32_t huge = 1u << 30;
  std::memcpy(bad_length.data() + 8, &huge, sizeof huge);
  write_file(dir.file("counter_1000002.db"), bad_length);  // an entry past `used`
  std::string bad_key = good;
  bad_key[13] = '{';  // `["ok"...` becomes `[{ok"...`: not JSON
  write_file(dir.file("counter_1000003.db"), bad_key);
  write_file(dir.file("counter_1000004.db"), std::string(3, '\x01'));  // shorter than a header
  write_file(dir.file("counter_1000005.db"), "");                      // being created: empty
  write_file(dir.file("whatever_1.db"), good);                         // no such kind
  write_file(dir.file("counter_1000006.db"), good);                    // a good copy
  Warnings warnings;
  for (int scrape = 0; scrape < 3; ++scrape) {
    const auto parsed = parse_exposition(aggregate(dir.path()));
    ASSERT_EQ(parsed.error, "");
    EXPECT_EQ(parsed.value("ok_total"), 8.0);  // this process's file and the good copy
  }
  // write_aggregate has no cache, so every call warns again; a collector warns once.
  metrics::Registry scraped;
  multiprocess::MultiProcessCollector collector(scraped, dir.path());
  warnings.messages.clear();
  for (int scrape = 0; scrape < 3; ++scrape) {
    const auto parsed = parse_exposition(metrics::generate_latest(scraped));
    ASSERT_EQ(parsed.error, "");
    EXPECT_EQ(parsed.value("ok_total"), 8.0);
  }
  ASSERT_EQ(warnings.messages.size(), 5u);
  for (const char* name : {"counter_1000001.db", "counter_1000002.db", "counter_1000003.db",
                           "counter_1000004.db", "whatever_1.db"}) {
    int mentions = 0;
    for (const std::string& message : warnings.messages) {
      mentions += message.find(name) != std::string::npos;
    }
    EXPECT_EQ(mentions, 1) << name;
  }
  // Repaired, the file counts again (and may warn again if it breaks later).
  write_file(dir.file("counter_1000001.db"), good);
  EXPECT_EQ(parse_exposition(metrics::generate_latest(scraped)).value("ok_total"), 12.0);
}

TEST(MultiprocessAggregate, ReadsTheTimestampedLayoutAndMostRecent) {
  TempDir dir;
  {
    MultiprocessScope on(dir.path(), multiprocess::FileLayout::timestamped);
    metrics::Registry registry;
    metrics::Counter counter{{.name = "t", .documentation = "d", .registry = &registry}};
    counter.inc(2);
    metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
    gauge.set(5);
  }
  const std::string bytes = read_file(dir.file(own_file("counter")));
  const auto entries = entries_of(bytes, 16);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].second, 2.0);
  // The layouts mix in one directory: a 0.16 file beside the 0.18 one.
  {
    TempDir other;
    {
      MultiprocessScope on(other.path());
      metrics::Registry registry;
      metrics::Counter counter{{.name = "t", .documentation = "d", .registry = &registry}};
      counter.inc(3);
    }
    write_file(dir.file("counter_1000001.db"), read_file(other.file(own_file("counter"))));
  }
  // Python 0.18's mostrecent gauges: the value with the latest timestamp wins.
  std::string recent = read_file(dir.file(own_file("gauge_all")));
  const std::size_t value_at = u32_at(recent, 0) - 16;
  for (const auto& [pid, value, timestamp] :
       {std::tuple{1000001, 1.0, 100.0}, std::tuple{1000002, 2.0, 300.0},
        std::tuple{1000003, 3.0, 200.0}}) {
    std::memcpy(recent.data() + value_at, &value, sizeof value);
    std::memcpy(recent.data() + value_at + 8, &timestamp, sizeof timestamp);
    write_file(dir.file("gauge_mostrecent_" + std::to_string(pid) + ".db"), recent);
  }
  ::unlink(dir.file(own_file("gauge_all")).c_str());
  Warnings warnings;
  const auto parsed = parse_exposition(aggregate(dir.path()));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("t_total"), 5.0);
  EXPECT_EQ(parsed.value("g"), 2.0);
  EXPECT_TRUE(warnings.messages.empty());
}

TEST(MultiprocessMode, WhatItRefusesOrDrops) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  try {
    gauge.set_function([] { return 1.0; });
    FAIL() << "set_function must throw in multiprocess mode";
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(metrics::testing::contains(error.what(), "'g'"));
    EXPECT_TRUE(metrics::testing::contains(error.what(), "multiprocess"));
  }
  EXPECT_THROW((metrics::Gauge{{.name = "recent",
                                .documentation = "d",
                                .registry = &registry,
                                .multiprocess_mode = metrics::MultiprocessMode::mostrecent}}),
               metrics::Error);
  EXPECT_THROW(
      (metrics::Counter{{.name = "bad_help", .documentation = "\xFF", .registry = &registry}}),
      metrics::Error);
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  EXPECT_THROW(counter.labels({"\xC3"}), metrics::Error);  // not UTF-8
  // Exemplars are dropped, as prometheus_client drops them in multiprocess mode.
  counter.labels({"x"}).inc(1, {{"trace_id", "abc"}});
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .registry = &registry}};
  histogram.observe(0.1, {{"trace_id", "abc"}});
  const std::string text = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_EQ(text.find("trace_id"), std::string::npos);
  EXPECT_EQ(counter.labels({"x"}).value(), 1.0);
  // The registry shows this process's own values (Python's registry does too).
  const auto parsed = parse_exposition(text, metrics::Format::openmetrics_1_0_0);
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("c_total", {{"l", "x"}}), 1.0);
  EXPECT_EQ(parsed.value("h_count"), 1.0);
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "0.1"}}), 1.0);
}

TEST(MultiprocessMode, SwitchesOnlyMetricsCreatedAfterwards) {
  TempDir dir;
  metrics::Registry registry;
  metrics::Counter before{{.name = "before", .documentation = "d", .registry = &registry}};
  {
    MultiprocessScope on(dir.path());
    EXPECT_TRUE(multiprocess::enabled());
    EXPECT_EQ(multiprocess::directory(), dir.path());
    metrics::Counter during{{.name = "during", .documentation = "d", .registry = &registry}};
    before.inc();
    during.inc();
  }
  EXPECT_FALSE(multiprocess::enabled());
  EXPECT_EQ(multiprocess::directory(), "");
  const auto parsed = parse_exposition(aggregate(dir.path()));
  EXPECT_EQ(parsed.value("during_total"), 1.0);
  EXPECT_EQ(parsed.find("before_total").size(), 0u);
  EXPECT_THROW(multiprocess::enable({dir.path() + "/missing"}), metrics::Error);
  EXPECT_THROW(multiprocess::MultiProcessCollector(registry, dir.path() + "/missing"),
               metrics::Error);
}

TEST(MultiprocessMode, CollectorInARegistryBesideOrdinaryMetrics) {
  TempDir dir;
  {
    MultiprocessScope on(dir.path());
    metrics::Registry registry;
    metrics::Counter counter{{.name = "shared", .documentation = "d", .registry = &registry}};
    counter.inc(3);
  }
  metrics::Registry registry;
  metrics::Gauge local{{.name = "local", .documentation = "d", .registry = &registry}};
  local.set(1);
  multiprocess::MultiProcessCollector first(registry, dir.path());
  multiprocess::MultiProcessCollector second(registry, dir.path());  // names never collide
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(metrics::testing::has_line(text, "local 1.0"));
  // Each collector writes the aggregate (as two Python collectors would).
  EXPECT_EQ(metrics::testing::lines_starting_with(text, "shared_total 3.0"), 2);
}

}  // namespace

TEST(MultiprocessFile, SummaryQuantilesAreRefused) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  const std::string error = metrics::testing::error_of([&] {
    metrics::Summary summary{{.name = "latency_seconds",
                              .documentation = "d",
                              .registry = &registry,
                              .quantiles = {{0.5, 0.05}}}};
  });
  EXPECT_NE(error.find("'latency_seconds'"), std::string::npos) << error;
  EXPECT_NE(error.find("quantiles are not supported in multiprocess mode"), std::string::npos)
      << error;
  // Nothing was registered: the same name without quantiles is accepted.
  metrics::Summary plain{{.name = "latency_seconds", .documentation = "d", .registry = &registry}};
  plain.observe(1);
}
