// Process metrics from /proc, as prometheus_client's ProcessCollector reads them; see
// bentoml/metrics/process_collector.hpp.
#include "bentoml/metrics/process_collector.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exposition/exposition_writer.hpp"

namespace bentoml::metrics {
namespace {

bool read_file(const std::string& path, std::string& contents) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  contents.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return true;
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

/// prometheus_client's help texts, in the order of ProcessCollector::names_ (the CPU family's
/// two names share one).
constexpr const char* kHelp[] = {"Virtual memory size in bytes.",
                                 "Resident memory size in bytes.",
                                 "Start time of the process since unix epoch in seconds.",
                                 "Total user and system CPU time spent in seconds.",
                                 "Total user and system CPU time spent in seconds.",
                                 "Number of open file descriptors.",
                                 "Maximum number of open file descriptors."};

// ---- reading at scrape time, into fixed buffers ----------------------------------------------

/// /proc/<pid>/stat is a few hundred bytes and limits about 1.5 KB; a longer file is cut here
/// (the fields read come early in both).
constexpr std::size_t kFileBuffer = 4096;

/// Reads up to kFileBuffer - 1 bytes of `path` into `buffer`, NUL-terminated; its length, or -1.
long read_small_file(const char* path, char* buffer) noexcept {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::size_t length = 0;
  while (length < kFileBuffer - 1) {
    const ssize_t got = ::read(fd, buffer + length, kFileBuffer - 1 - length);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    length += static_cast<std::size_t>(got);
  }
  ::close(fd);
  buffer[length] = '\0';
  return static_cast<long>(length);
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n'; }

/// The whitespace-separated word `index` of [begin, end) as a number (the buffer holds a NUL at
/// or after `end`, where strtod stops at the latest).
bool number_at(const char* begin, const char* end, std::size_t index, double& value) noexcept {
  const char* cursor = begin;
  for (std::size_t word = 0;; ++word) {
    while (cursor < end && is_space(*cursor)) ++cursor;
    if (cursor == end) return false;
    const char* word_end = cursor;
    while (word_end < end && !is_space(*word_end)) ++word_end;
    if (word == index) {
      char* parsed_end = nullptr;
      value = std::strtod(cursor, &parsed_end);
      return parsed_end == word_end;
    }
    cursor = word_end;
  }
}

bool starts_with(const char* text, const char* end, std::string_view prefix) noexcept {
  return static_cast<std::size_t>(end - text) >= prefix.size() &&
         std::string_view(text, prefix.size()) == prefix;
}

/// The entries of a directory besides `.` and `..` (os.listdir's count); -1 if unreadable.
/// getdents64 into a stack buffer: opendir() would allocate its own.
long count_entries(const char* path) noexcept {
  const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  alignas(8) char buffer[kFileBuffer];
  long count = 0;
  for (;;) {
    const ssize_t got = ::getdents64(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      count = -1;
      break;
    }
    if (got == 0) break;
    for (ssize_t offset = 0; offset < got;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buffer + offset);
      const std::string_view name(entry->d_name, std::char_traits<char>::length(entry->d_name));
      if (name != "." && name != "..") ++count;
      offset += entry->d_reclen;
    }
  }
  ::close(fd);
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
  const std::string pid = options_.proc + "/" + options_.pid;
  stat_path_ = pid + "/stat";
  limits_path_ = pid + "/limits";
  fd_path_ = pid + "/fd";
  const char* suffixes[] = {"virtual_memory_bytes",
                            "resident_memory_bytes",
                            "start_time_seconds",
                            "cpu_seconds",
                            "cpu_seconds_total",
                            "open_fds",
                            "max_fds"};
  for (std::size_t i = 0; i < std::size(names_); ++i) names_[i] = prefix_ + suffixes[i];
}

ProcessCollector::Reading ProcessCollector::read() const noexcept {
  Reading reading;
  if (boot_time_ == 0) return reading;
  char buffer[kFileBuffer];
  const long length = read_small_file(stat_path_.c_str(), buffer);
  const char* close = nullptr;  // the last ')': the command name may hold spaces and parentheses
  for (long i = length - 1; i >= 0 && close == nullptr; --i) {
    if (buffer[i] == ')') close = buffer + i;
  }
  if (close != nullptr) {
    const char* fields = close + 1;
    const char* end = buffer + length;
    double utime = 0;
    double stime = 0;
    double start = 0;
    double vsize = 0;
    double rss = 0;
    if (number_at(fields, end, 11, utime) && number_at(fields, end, 12, stime) &&
        number_at(fields, end, 19, start) && number_at(fields, end, 20, vsize) &&
        number_at(fields, end, 21, rss)) {
      reading.has_stat = true;
      reading.virtual_memory = vsize;
      reading.resident_memory = rss * page_size_;
      reading.start_time = start / ticks_ + boot_time_;
      reading.cpu_seconds = utime / ticks_ + stime / ticks_;
    }
  }
  double max_fds = -1;
  const long limits = read_small_file(limits_path_.c_str(), buffer);
  for (const char* line = buffer; limits >= 0 && *line != '\0';) {
    const char* line_end = line;
    while (*line_end != '\0' && *line_end != '\n') ++line_end;
    if (starts_with(line, line_end, "Max open file")) {
      if (!number_at(line, line_end, 3, max_fds)) max_fds = -1;
      break;
    }
    line = *line_end == '\n' ? line_end + 1 : line_end;
  }
  const long open_fds = count_entries(fd_path_.c_str());
  if (open_fds >= 0 && max_fds >= 0) {
    reading.has_fds = true;
    reading.open_fds = static_cast<double>(open_fds);
    reading.max_fds = max_fds;
  }
  return reading;
}

std::vector<MetricFamily> ProcessCollector::collect() const {
  std::vector<MetricFamily> result;
  const Reading reading = read();
  if (reading.has_stat) {
    GaugeMetricFamily virtual_memory(names_[0], kHelp[0]);
    virtual_memory.add_metric({}, reading.virtual_memory);
    GaugeMetricFamily resident(names_[1], kHelp[1]);
    resident.add_metric({}, reading.resident_memory);
    GaugeMetricFamily start_time(names_[2], kHelp[2]);
    start_time.add_metric({}, reading.start_time);
    CounterMetricFamily cpu(names_[4], kHelp[4]);
    cpu.add_metric({}, reading.cpu_seconds);
    result.push_back(std::move(virtual_memory));
    result.push_back(std::move(resident));
    result.push_back(std::move(start_time));
    result.push_back(std::move(cpu));
  }
  if (reading.has_fds) {
    GaugeMetricFamily open(names_[5], kHelp[5]);
    open.add_metric({}, reading.open_fds);
    GaugeMetricFamily max(names_[6], kHelp[6]);
    max.add_metric({}, reading.max_fds);
    result.push_back(std::move(open));
    result.push_back(std::move(max));
  }
  return result;
}

void ProcessCollector::write_into(detail::ExpositionWriter& writer) const {
  const Reading reading = read();
  const auto gauge = [this, &writer](std::size_t family, double value) {
    writer.header(names_[family], kHelp[family], "gauge", {});
    writer.labelled_sample(names_[family], nullptr, 0, value);
  };
  if (reading.has_stat) {
    gauge(0, reading.virtual_memory);
    gauge(1, reading.resident_memory);
    gauge(2, reading.start_time);
    // As a collector's counter: OpenMetrics names the family without `_total`, text with it.
    writer.header(writer.openmetrics() ? names_[3] : names_[4], kHelp[4], "counter", {});
    writer.labelled_sample(names_[4], nullptr, 0, reading.cpu_seconds);
  }
  if (reading.has_fds) {
    gauge(5, reading.open_fds);
    gauge(6, reading.max_fds);
  }
}

std::vector<MetricFamily> ProcessCollector::describe() const {
  return {GaugeMetricFamily(names_[0], ""), GaugeMetricFamily(names_[1], ""),
          GaugeMetricFamily(names_[2], ""), CounterMetricFamily(names_[4], ""),
          GaugeMetricFamily(names_[5], ""), GaugeMetricFamily(names_[6], "")};
}

std::shared_ptr<ProcessCollector> process_collector() {
  // Never destroyed, like the default registry that holds it.
  static auto* const collector =
      new std::shared_ptr<ProcessCollector>(std::make_shared<ProcessCollector>());
  return *collector;
}

}  // namespace bentoml::metrics
