// Helpers shared by the multiprocess tests: a temporary directory, multiprocess mode switched on
// for one test, files read back.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bentoml/metrics.hpp"

namespace bentoml::metrics::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with its files at the end of the scope.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/bentoml-metrics-mp-XXXXXX";
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    for (const std::string& name : files()) ::unlink((path_ + "/" + name).c_str());
    ::rmdir(path_.c_str());
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// The names of the files in it, sorted.
  [[nodiscard]] std::vector<std::string> files() const {
    std::vector<std::string> names;
    if (DIR* listing = ::opendir(path_.c_str())) {
      while (const dirent* entry = ::readdir(listing)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
      }
      ::closedir(listing);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Multiprocess mode on for the scope (new metrics record into `directory`), off after.
class MultiprocessScope {
 public:
  explicit MultiprocessScope(
      const std::string& directory,
      multiprocess::FileLayout layout = multiprocess::FileLayout::value_only) {
    multiprocess::enable({directory, layout});
  }
  MultiprocessScope(const MultiprocessScope&) = delete;
  MultiprocessScope& operator=(const MultiprocessScope&) = delete;
  ~MultiprocessScope() { multiprocess::disable(); }
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

inline std::uint32_t u32_at(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

inline double f64_at(const std::string& bytes, std::size_t at) {
  double value = 0;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

/// The file name of this process's file of `prefix` (`counter`, `gauge_all`, ...).
inline std::string own_file(const std::string& prefix) {
  return prefix + "_" + std::to_string(::getpid()) + ".db";
}

/// The aggregate of `directory` in `format`.
inline std::string aggregate(const std::string& directory, Format format = Format::text_0_0_4) {
  std::string out;
  multiprocess::write_aggregate(out, directory, format);
  return out;
}

}  // namespace bentoml::metrics::testing
