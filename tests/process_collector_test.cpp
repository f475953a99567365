#include "bentoml/metrics/process_collector.hpp"

#include <dirent.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
namespace fs = std::filesystem;
using metrics::testing::contains;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream file(path);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

/// /proc/self/stat's fields after the command name.
std::vector<double> stat_fields() {
  const std::string text = slurp("/proc/self/stat");
  std::istringstream words(text.substr(text.rfind(')') + 1));
  std::vector<double> fields;
  for (std::string word; words >> word;) fields.push_back(std::strtod(word.c_str(), nullptr));
  return fields;
}

double boot_time() {
  std::istringstream lines(slurp("/proc/stat"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  }
  return 0;
}

/// A fake procfs with known numbers.
struct FakeProc {
  fs::path root = fs::temp_directory_path() / ("bentoml_fake_proc_" + std::to_string(::getpid()));
  FakeProc() {
    fs::remove_all(root);
    fs::create_directories(root / "42" / "fd");
    std::ofstream(root / "stat") << "cpu  1 2 3\nbtime 1700000000\nprocesses 5\n";
    // The command name holds a space and a parenthesis, as procfs allows.
    std::ofstream(root / "42" / "stat")
        << "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 4 0 12345 "
           "987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    std::ofstream(root / "42" / "limits")
        << "Limit                     Soft Limit           Hard Limit           Units\n"
           "Max cpu time              unlimited            unlimited            seconds\n"
           "Max open files            1024                 524288               files\n";
    for (const char* fd : {"0", "1", "2", "7"}) std::ofstream(root / "42" / "fd" / fd) << "";
  }
  ~FakeProc() { fs::remove_all(root); }
};

}  // namespace

TEST(ProcessCollector, ReadsProcAsPrometheusClientDoes) {
  FakeProc proc;
  metrics::Registry registry;
  registry.register_collector(std::make_shared<metrics::ProcessCollector>(
      metrics::ProcessCollector::Options{"svc", "42", proc.root.string()}));
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const std::string text = metrics::generate_latest(registry);
  std::string expected =
      "# HELP svc_process_virtual_memory_bytes Virtual memory size in bytes.\n"
      "# TYPE svc_process_virtual_memory_bytes gauge\n"
      "svc_process_virtual_memory_bytes 9.87654321e+08\n"
      "# HELP svc_process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE svc_process_resident_memory_bytes gauge\n";
  EXPECT_EQ(text.substr(0, expected.size()), expected) << text;
  const auto exposition = metrics::testing::parse_exposition(text);
  ASSERT_EQ(exposition.error, "") << text;
  EXPECT_EQ(exposition.value("svc_process_resident_memory_bytes"), 2048 * page);
  EXPECT_EQ(exposition.value("svc_process_start_time_seconds"), 12345 / ticks + 1700000000);
  EXPECT_EQ(exposition.value("svc_process_cpu_seconds_total"), 250 / ticks + 150 / ticks);
  EXPECT_EQ(exposition.value("svc_process_open_fds"), 4);
  EXPECT_EQ(exposition.value("svc_process_max_fds"), 1024);
  EXPECT_TRUE(contains(text,
                       "# HELP svc_process_cpu_seconds_total Total user and system CPU "
                       "time spent in seconds.\n# TYPE svc_process_cpu_seconds_total "
                       "counter\n"));
  EXPECT_TRUE(contains(text,
                       "# HELP svc_process_start_time_seconds Start time of the process "
                       "since unix epoch in seconds.\n"));
  EXPECT_TRUE(contains(text, "# HELP svc_process_open_fds Number of open file descriptors.\n"));
  EXPECT_TRUE(
      contains(text, "# HELP svc_process_max_fds Maximum number of open file descriptors.\n"));
}

TEST(ProcessCollector, WithoutProcItYieldsNothing) {
  metrics::Registry registry;
  registry.register_collector(std::make_shared<metrics::ProcessCollector>(
      metrics::ProcessCollector::Options{"", "self", "/nonexistent/proc"}));
  EXPECT_EQ(metrics::generate_latest(registry), "");
}

TEST(ProcessCollector, AgreesWithProcAtTheSameMoment) {
  metrics::Registry registry;
  registry.register_collector(std::make_shared<metrics::ProcessCollector>());
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const std::vector<double> before = stat_fields();
  const std::string text = metrics::generate_latest(registry);
  const std::vector<double> after = stat_fields();
  const auto exposition = metrics::testing::parse_exposition(text);
  ASSERT_EQ(exposition.error, "") << text;
  const double cpu = exposition.value("process_cpu_seconds_total");
  EXPECT_GE(cpu, (before[11] + before[12]) / ticks - 1e-9);
  EXPECT_LE(cpu, (after[11] + after[12]) / ticks + 1e-9);
  EXPECT_EQ(exposition.value("process_start_time_seconds"), before[19] / ticks + boot_time());
  const double rss = exposition.value("process_resident_memory_bytes");
  EXPECT_GE(rss, std::min(before[21], after[21]) * page);
  EXPECT_LE(rss, std::max(before[21], after[21]) * page);
  const double vsize = exposition.value("process_virtual_memory_bytes");
  EXPECT_GE(vsize, std::min(before[20], after[20]));
  EXPECT_LE(vsize, std::max(before[20], after[20]));
  // Open descriptors: the listing's own directory descriptor is counted, as in Python.
  long open_now = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++open_now;
  EXPECT_NEAR(exposition.value("process_open_fds"), static_cast<double>(open_now), 1.0);
  std::istringstream limits(slurp("/proc/self/limits"));
  for (std::string line; std::getline(limits, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream words(line.substr(14));
      double soft = 0;
      words >> soft;
      EXPECT_EQ(exposition.value("process_max_fds"), soft);
    }
  }
}

TEST(ProcessCollector, IsInTheDefaultRegistryAndRemovable) {
  EXPECT_TRUE(contains(metrics::generate_latest(), "\nprocess_cpu_seconds_total "));
  // Its names are claimed there, as Python's describe() makes them.
  EXPECT_THROW(metrics::Gauge({.name = "process_open_fds"}), metrics::Error);
  EXPECT_THROW(metrics::Counter({.name = "process_cpu_seconds"}), metrics::Error);
  ASSERT_TRUE(metrics::default_registry().unregister(*metrics::process_collector()));
  EXPECT_FALSE(contains(metrics::generate_latest(), "process_"));
  metrics::default_registry().register_collector(metrics::process_collector());
  EXPECT_TRUE(contains(metrics::generate_latest(), "\nprocess_cpu_seconds_total "));
  // Another registry may have one too.
  metrics::Registry other;
  other.register_collector(std::make_shared<metrics::ProcessCollector>());
  EXPECT_TRUE(contains(metrics::generate_latest(other), "process_max_fds "));
}

TEST(ProcessCollector, ScrapesWriteWhatCollectYields) {
  // A registry writes the process collector's lines itself (no allocation); the text must be
  // what its collect() families give through the general collector path.
  FakeProc proc;
  for (const std::string& pid : {std::string("42"), std::string("self")}) {
    const std::string root = pid == "self" ? "/proc" : proc.root.string();
    auto collector = std::make_shared<metrics::ProcessCollector>(
        metrics::ProcessCollector::Options{"svc", pid, root});
    metrics::Registry direct;
    direct.register_collector(collector);
    metrics::Registry general;
    general.register_collector(
        metrics::make_collector([collector] { return collector->collect(); }));
    for (const metrics::Format format :
         {metrics::Format::text_0_0_4, metrics::Format::openmetrics_1_0_0}) {
      const std::string ours = metrics::generate_latest(direct, format);
      std::string reference = metrics::generate_latest(general, format);
      if (pid == "self") {  // cpu time and open fds move between the two readings
        EXPECT_EQ(metrics::testing::parse_exposition(ours, format).error, "");
        EXPECT_EQ(ours.size() > 0, reference.size() > 0);
        continue;
      }
      EXPECT_EQ(ours, reference);
    }
  }
}
