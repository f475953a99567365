// Multiprocess mode across processes: forked workers recording known amounts into one directory,
// the parent's aggregate (exact sums, every gauge mode, mark_process_dead), fork() while other
// threads create series, and workers killed with SIGKILL at random moments while others record
// and a scraper scrapes. Each test is bounded to a few seconds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "multiprocess_support.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
namespace multiprocess = bentoml::metrics::multiprocess;
using metrics::MultiprocessMode;
using metrics::testing::MultiprocessScope;
using metrics::testing::parse_exposition;
using metrics::testing::TempDir;

namespace {

/// Forks a child that runs `work` and leaves with _exit (as a pre-fork worker would); returns
/// its pid.
template <class Work>
pid_t fork_worker(Work&& work) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    work();
    ::_exit(0);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

const std::vector<std::pair<MultiprocessMode, std::string>>& all_modes() {
  static const std::vector<std::pair<MultiprocessMode, std::string>> modes = {
      {MultiprocessMode::all, "all"}, {MultiprocessMode::liveall, "liveall"},
      {MultiprocessMode::min, "min"}, {MultiprocessMode::livemin, "livemin"},
      {MultiprocessMode::max, "max"}, {MultiprocessMode::livemax, "livemax"},
      {MultiprocessMode::sum, "sum"}, {MultiprocessMode::livesum, "livesum"}};
  return modes;
}

TEST(MultiprocessProcesses, ForkedWorkersGiveExactSumsAndEveryGaugeMode) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter total{{.name = "total", .documentation = "d", .registry = &registry}};
  metrics::Counter by_worker{
      {.name = "by_worker", .documentation = "d", .labelnames = {"worker"}, .registry = &registry}};
  metrics::Histogram latency{
      {.name = "latency", .documentation = "d", .buckets = {0.1, 0.2, 0.5}, .registry = &registry}};
  metrics::Summary sizes{{.name = "sizes", .documentation = "d", .registry = &registry}};
  std::vector<metrics::Gauge> gauges;
  for (const auto& [mode, name] : all_modes()) {
    gauges.emplace_back(metrics::Gauge::Options{.name = "g_" + name,
                                                .documentation = "d",
                                                .labelnames = {"k"},
                                                .registry = &registry,
                                                .multiprocess_mode = mode});
  }
  // The parent records before forking: the workers start from zero in files of their own.
  total.inc(100);
  latency.observe(0.05);
  for (metrics::Gauge& gauge : gauges) gauge.labels({"v"}).set(100);

  constexpr int kWorkers = 4;
  std::vector<pid_t> workers;
  for (int worker = 0; worker < kWorkers; ++worker) {
    workers.push_back(fork_worker([&, worker] {
      for (int i = 0; i < 1000; ++i) total.inc();
      by_worker.labels({std::to_string(worker)}).inc(worker + 1);
      for (int i = 0; i <= worker; ++i) latency.observe(0.15 * (worker + 1));  // 0.15 .. 0.6
      sizes.observe(10.0 * (worker + 1));
      for (metrics::Gauge& gauge : gauges) gauge.labels({"v"}).set(worker + 1);
    }));
  }
  for (const pid_t pid : workers) ASSERT_EQ(wait_for(pid), 0);

  metrics::Registry scraped;
  multiprocess::MultiProcessCollector collector(scraped, dir.path());
  auto parsed = parse_exposition(metrics::generate_latest(scraped));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("total_total"), 100 + kWorkers * 1000);
  EXPECT_EQ(total.value(), 100.0);  // the parent's file holds only the parent's counts
  for (int worker = 0; worker < kWorkers; ++worker) {
    EXPECT_EQ(parsed.value("by_worker_total", {{"worker", std::to_string(worker)}}), worker + 1);
  }
  // 0.05 once (parent); 0.15 once, 0.3 twice, 0.45 three times, 0.6 four times.
  EXPECT_EQ(parsed.value("latency_bucket", {{"le", "0.1"}}), 1.0);
  EXPECT_EQ(parsed.value("latency_bucket", {{"le", "0.2"}}), 2.0);
  EXPECT_EQ(parsed.value("latency_bucket", {{"le", "0.5"}}), 7.0);
  EXPECT_EQ(parsed.value("latency_bucket", {{"le", "+Inf"}}), 11.0);
  EXPECT_EQ(parsed.value("latency_count"), 11.0);
  EXPECT_DOUBLE_EQ(parsed.value("latency_sum"), 0.05 + 0.15 + 0.6 + 1.35 + 2.4);
  EXPECT_EQ(parsed.value("sizes_count"), 4.0);
  EXPECT_EQ(parsed.value("sizes_sum"), 100.0);
  const std::string parent = std::to_string(::getpid());
  for (const char* mode : {"all", "liveall"}) {
    EXPECT_EQ(parsed.value(std::string("g_") + mode, {{"k", "v"}, {"pid", parent}}), 100.0);
    for (int worker = 0; worker < kWorkers; ++worker) {
      EXPECT_EQ(parsed.value(std::string("g_") + mode,
                             {{"k", "v"}, {"pid", std::to_string(workers[worker])}}),
                worker + 1);
    }
  }
  EXPECT_EQ(parsed.value("g_min", {{"k", "v"}}), 1.0);
  EXPECT_EQ(parsed.value("g_livemin", {{"k", "v"}}), 1.0);
  EXPECT_EQ(parsed.value("g_max", {{"k", "v"}}), 100.0);
  EXPECT_EQ(parsed.value("g_sum", {{"k", "v"}}), 110.0);
  EXPECT_EQ(parsed.value("g_livesum", {{"k", "v"}}), 110.0);

  // Workers 0 and 1 are gone: their live gauges leave the aggregate, nothing else does.
  multiprocess::mark_process_dead(workers[0]);
  multiprocess::mark_process_dead(workers[1]);
  parsed = parse_exposition(metrics::generate_latest(scraped));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("total_total"), 100 + kWorkers * 1000);
  EXPECT_EQ(parsed.value("g_sum", {{"k", "v"}}), 110.0);
  EXPECT_EQ(parsed.value("g_livesum", {{"k", "v"}}), 107.0);
  EXPECT_EQ(parsed.value("g_livemin", {{"k", "v"}}), 3.0);
  EXPECT_EQ(parsed.value("g_livemax", {{"k", "v"}}), 100.0);
  EXPECT_EQ(parsed.find("g_liveall", {{"k", "v"}, {"pid", std::to_string(workers[0])}}).size(), 0u);
  EXPECT_EQ(parsed.find("g_all", {{"k", "v"}, {"pid", std::to_string(workers[0])}}).size(), 1u);
}

TEST(MultiprocessProcesses, ForkWhileOtherThreadsCreateSeriesAndRecord) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter recorded{
      {.name = "recorded", .documentation = "d", .labelnames = {"n"}, .registry = &registry}};
  metrics::Counter forked{{.name = "forked", .documentation = "d", .registry = &registry}};
  std::atomic<bool> stop{false};
  std::atomic<int> created{0};
  // One thread appends entries (growing the file) while the main thread forks: the fork handler
  // waits for an append in progress, so no child ever sees half an entry.
  std::thread creator([&] {
    const std::string padding(100, 'p');
    while (!stop.load() && created.load() < 20000) {  // up to ~3 MB of entries, ~6 doublings
      recorded.labels({padding + std::to_string(created.load())}).inc();
      created.fetch_add(1);
    }
  });
  constexpr int kForks = 20;
  for (int i = 0; i < kForks; ++i) {
    const pid_t pid = fork_worker([&] {
      forked.inc();
      recorded.labels({"child " + std::to_string(::getpid())}).inc(2);  // an entry in the child
    });
    ASSERT_EQ(wait_for(pid), 0);
  }
  stop = true;
  creator.join();
  const auto parsed = parse_exposition(metrics::testing::aggregate(dir.path()));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("forked_total"), kForks);
  double children = 0;
  double parents = 0;
  for (const auto& sample : parsed.samples) {
    if (sample.name != "recorded_total") continue;
    (sample.labels.at("n").rfind("child ", 0) == 0 ? children : parents) += sample.value;
  }
  EXPECT_EQ(children, 2.0 * kForks);
  EXPECT_EQ(parents, created.load());
}

/// Per worker, in memory shared with the parent: how many iterations it completed.
struct Progress {
  std::atomic<std::uint64_t> done[64];
};

TEST(MultiprocessProcesses, SigkillAtRandomMomentsLosesNothingRecordedAndNoScrapeFails) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter ops{
      {.name = "ops", .documentation = "d", .labelnames = {"worker"}, .registry = &registry}};
  metrics::Histogram seconds{{.name = "seconds",
                              .documentation = "d",
                              .labelnames = {"worker"},
                              .buckets = {0.25, 0.5, 0.75},
                              .registry = &registry}};
  metrics::Counter created{
      {.name = "created", .documentation = "d", .labelnames = {"series"}, .registry = &registry}};
  auto* progress = static_cast<Progress*>(
      ::mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(progress, MAP_FAILED);
  for (auto& done : progress->done) done.store(0);
  std::vector<std::string> warnings;
  std::mutex warnings_mutex;
  multiprocess::set_warning_handler([&](std::string_view message) {
    std::lock_guard<std::mutex> lock(warnings_mutex);
    warnings.emplace_back(message);
  });

  const auto start_worker = [&](int id) {
    return fork_worker([&, id] {
      const std::string name = std::to_string(id);
      const std::string padding(300, '/');
      auto op = ops.labels({name});
      auto observed = seconds.labels({name});
      for (std::uint64_t n = 1;; ++n) {
        op.inc();
        observed.observe(static_cast<double>(n % 4) * 0.25);
        // New series during the first ~40 ms of a worker's life (200 of ~380 bytes: its file
        // doubles), so that kills also land in appends and growth.
        if (n % 512 == 0 && n / 512 <= 200) {
          created.labels({name + padding + std::to_string(n)}).inc();
        }
        if (n % 256 == 0) ::usleep(20);  // busy, but leaving the scraper some of the 2 cores
        progress->done[id].store(n, std::memory_order_release);
      }
    });
  };

  // A scraper in the parent: every scrape must parse, and every histogram be consistent.
  metrics::Registry scraped;
  multiprocess::MultiProcessCollector collector(scraped, dir.path());
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0};
  std::atomic<int> bad_scrapes{0};
  std::string first_bad;  // the scraper's, read after join()
  std::thread scraper([&] {
    while (!stop.load()) {
      const std::string text = metrics::generate_latest(scraped);
      // Cheap checks on every scrape (a full parse every 16th): each histogram's `_count` is its
      // `+Inf` bucket, and each has all its four buckets (a series is published whole).
      static const std::string count_prefix = "seconds_count{";
      static const std::string inf_prefix = "seconds_bucket{le=\"+Inf\",";
      static const std::string bucket_prefix = "seconds_bucket{le=\"";
      std::map<std::string, double> counts;
      std::map<std::string, double> infinite;
      std::map<std::string, int> buckets;
      std::istringstream lines(text);
      std::string line;
      bool fine = text.empty() || text.back() == '\n';  // empty before anything is recorded
      while (std::getline(lines, line)) {
        const std::size_t space = line.rfind(' ');
        fine = fine && space != std::string::npos;
        if (line.rfind(count_prefix, 0) == 0) {
          counts[line.substr(count_prefix.size(), space - count_prefix.size())] =
              std::stod(line.substr(space + 1));
        } else if (line.rfind(inf_prefix, 0) == 0) {
          infinite[line.substr(inf_prefix.size(), space - inf_prefix.size())] =
              std::stod(line.substr(space + 1));
        }
        if (line.rfind(bucket_prefix, 0) == 0) {
          const std::size_t labels = line.find("\",", bucket_prefix.size());
          if (labels < space) ++buckets[line.substr(labels + 2, space - labels - 2)];
        }
      }
      fine = fine && counts == infinite;
      for (const auto& [series, lines] : buckets) fine = fine && lines == 4;
      if (scrapes.load() % 16 == 0) fine = fine && parse_exposition(text).error.empty();
      if (!fine && first_bad.empty()) first_bad = text;
      bad_scrapes += fine ? 0 : 1;
      ++scrapes;
    }
  });

  std::mt19937 random(12345);
  std::map<int, pid_t> running;
  int next_id = 0;
  for (; next_id < 4; ++next_id) running[next_id] = start_worker(next_id);
  constexpr int kKills = 16;
  for (int kill = 0; kill < kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 40000));
    auto victim = running.begin();
    std::advance(victim, static_cast<long>(random() % running.size()));
    const int id = victim->first;
    ::kill(victim->second, SIGKILL);
    wait_for(victim->second);
    running.erase(victim);
    // Everything the worker completed is in the aggregate; at most its one iteration in flight
    // is there too (partly).
    const std::uint64_t done = progress->done[id].load(std::memory_order_acquire);
    const std::string text = metrics::generate_latest(scraped);
    const std::string worker = "{worker=\"" + std::to_string(id) + "\"}";
    const double counted = metrics::testing::sample_value(text, "ops_total" + worker);
    const double observed = metrics::testing::sample_value(text, "seconds_count" + worker);
    if (done > 0) {
      EXPECT_GE(counted, static_cast<double>(done)) << "worker " << id;
      EXPECT_LE(counted, static_cast<double>(done + 1)) << "worker " << id;
      EXPECT_GE(observed, static_cast<double>(done)) << "worker " << id;
      EXPECT_LE(observed, static_cast<double>(done + 1)) << "worker " << id;
    }
    running[next_id] = start_worker(next_id);
    ++next_id;
  }
  for (const auto& [id, pid] : running) {
    ::kill(pid, SIGKILL);
    wait_for(pid);
  }
  stop = true;
  scraper.join();
  multiprocess::set_warning_handler({});
  EXPECT_EQ(bad_scrapes.load(), 0) << "the first:\n" << first_bad;
  EXPECT_GT(scrapes.load(), 10);
  EXPECT_TRUE(warnings.empty()) << warnings.front();  // no file was ever corrupt
  const auto parsed = parse_exposition(metrics::generate_latest(scraped));
  ASSERT_EQ(parsed.error, "");
  for (int id = 0; id < next_id; ++id) {
    const std::uint64_t done = progress->done[id].load();
    const double counted = parsed.value("ops_total", {{"worker", std::to_string(id)}});
    if (done > 0) {
      EXPECT_GE(counted, static_cast<double>(done)) << "worker " << id;
    }
  }
  ::munmap(progress, sizeof(Progress));
}

}  // namespace
