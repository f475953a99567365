// Process metrics from /proc, as prometheus_client's ProcessCollector reads them; see
// bentoml/metrics/process_collector.hpp.
#include "bentoml/metrics/process_collector.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace bentoml::metrics {
namespace {

bool read_file(const std::string& path, std::string& contents) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  contents.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return true;
}

/// The whitespace-separated words of `text`.
std::vector<std::string> words_of(const std::string& text) {
  std::istringstream stream(text);
  return {std::istream_iterator<std::string>(stream), std::istream_iterator<std::string>()};
}

bool to_number(const std::string& word, double& value) {
  char* end = nullptr;
  value = std::strtod(word.c_str(), &end);
  return !word.empty() && end == word.c_str() + word.size();
}

double boot_time(const std::string& proc) {
  std::string stat;
  if (!read_file(proc + "/stat", stat)) return 0;
  std::istringstream lines(stat);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("btime ", 0) == 0) {
      double value = 0;
      return to_number(line.substr(6), value) ? value : 0;
    }
  }
  return 0;
}

/// The entries of a directory besides `.` and `..` (os.listdir's count); -1 if unreadable.
long count_entries(const std::string& path) {
  DIR* directory = ::opendir(path.c_str());
  if (directory == nullptr) return -1;
  long count = 0;
  while (const dirent* entry = ::readdir(directory)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  ::closedir(directory);
  return count;
}

}  // namespace

ProcessCollector::ProcessCollector(Options options)
    : options_(std::move(options)),
      prefix_(options_.namespace_.empty() ? "process_" : options_.namespace_ + "_process_") {
  const long ticks = ::sysconf(_SC_CLK_TCK);
  if (ticks > 0) ticks_ = static_cast<double>(ticks);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (page > 0) page_size_ = static_cast<double>(page);
  boot_time_ = boot_time(options_.proc);
}

std::vector<MetricFamily> ProcessCollector::collect() const {
  std::vector<MetricFamily> result;
  if (boot_time_ == 0) return result;
  const std::string pid = options_.proc + "/" + options_.pid;
  std::string text;
  if (read_file(pid + "/stat", text) && text.rfind(')') != std::string::npos) {
    // The fields after the command name, which may itself hold spaces and parentheses.
    const std::vector<std::string> parts = words_of(text.substr(text.rfind(')') + 1));
    double utime = 0;
    double stime = 0;
    double start = 0;
    double vsize = 0;
    double rss = 0;
    if (parts.size() > 21 && to_number(parts[11], utime) && to_number(parts[12], stime) &&
        to_number(parts[19], start) && to_number(parts[20], vsize) && to_number(parts[21], rss)) {
      GaugeMetricFamily virtual_memory(prefix_ + "virtual_memory_bytes",
                                       "Virtual memory size in bytes.");
      virtual_memory.add_metric({}, vsize);
      GaugeMetricFamily resident(prefix_ + "resident_memory_bytes",
                                 "Resident memory size in bytes.");
      resident.add_metric({}, rss * page_size_);
      GaugeMetricFamily start_time(prefix_ + "start_time_seconds",
                                   "Start time of the process since unix epoch in seconds.");
      start_time.add_metric({}, start / ticks_ + boot_time_);
      CounterMetricFamily cpu(prefix_ + "cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.");
      cpu.add_metric({}, utime / ticks_ + stime / ticks_);
      result.push_back(std::move(virtual_memory));
      result.push_back(std::move(resident));
      result.push_back(std::move(start_time));
      result.push_back(std::move(cpu));
    }
  }
  double max_fds = -1;
  if (read_file(pid + "/limits", text)) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("Max open file", 0) != 0) continue;
      const std::vector<std::string> words = words_of(line);
      if (words.size() <= 3 || !to_number(words[3], max_fds)) max_fds = -1;
      break;
    }
  }
  const long open_fds = count_entries(pid + "/fd");
  if (open_fds >= 0 && max_fds >= 0) {
    GaugeMetricFamily open(prefix_ + "open_fds", "Number of open file descriptors.");
    open.add_metric({}, static_cast<double>(open_fds));
    GaugeMetricFamily max(prefix_ + "max_fds", "Maximum number of open file descriptors.");
    max.add_metric({}, max_fds);
    result.push_back(std::move(open));
    result.push_back(std::move(max));
  }
  return result;
}

std::vector<MetricFamily> ProcessCollector::describe() const {
  return {GaugeMetricFamily(prefix_ + "virtual_memory_bytes", ""),
          GaugeMetricFamily(prefix_ + "resident_memory_bytes", ""),
          GaugeMetricFamily(prefix_ + "start_time_seconds", ""),
          CounterMetricFamily(prefix_ + "cpu_seconds_total", ""),
          GaugeMetricFamily(prefix_ + "open_fds", ""),
          GaugeMetricFamily(prefix_ + "max_fds", "")};
}

std::shared_ptr<ProcessCollector> process_collector() {
  // Never destroyed, like the default registry that holds it.
  static auto* const collector =
      new std::shared_ptr<ProcessCollector>(std::make_shared<ProcessCollector>());
  return *collector;
}

}  // namespace bentoml::metrics
