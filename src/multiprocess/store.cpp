// The process-wide state of multiprocess mode: on or off, the directory, this process's files,
// the fork() hand-over, mark_process_dead and warnings. See bentoml/metrics/multiprocess.hpp.
#include "multiprocess/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/multiprocess.hpp"
#include "multiprocess/json_key.hpp"
#include "multiprocess/mmap_file.hpp"
#include "storage/fork_safety.hpp"

namespace bentoml::metrics::detail {
namespace {

/// The directory named by the environment, as prometheus_client reads it: the upper-case name
/// when it is set at all (even empty), else the deprecated lower-case one. An empty value means
/// multiprocess mode is off (Python would write into the working directory instead).
std::string directory_from_environment() {
  const char* value = std::getenv("PROMETHEUS_MULTIPROC_DIR");
  if (value == nullptr) value = std::getenv("prometheus_multiproc_dir");
  return value == nullptr ? std::string() : std::string(value);
}

class Store final : public ForkParticipant {
 public:
  Store() : environment_directory(directory_from_environment()) {
    if (!environment_directory.empty()) {
      enabled = true;
      directory = environment_directory;
    }
    track_for_fork(this);
  }

  // The files' mutex first, then the warnings': the order every path takes them in.
  void before_fork() noexcept override {
    mutex.lock();
    warning_mutex.lock();
  }
  void after_fork_in_parent() noexcept override {
    warning_mutex.unlock();
    mutex.unlock();
  }
  void after_fork_in_child() noexcept override {
    warning_mutex.unlock();
    for (const std::unique_ptr<MmapFile>& file : files) file->after_fork_in_child();
    mutex.unlock();
  }

  std::mutex mutex;  ///< guards the members below and every MmapFile
  const std::string environment_directory;
  bool enabled = false;
  std::string directory;
  multiprocess::FileLayout layout = multiprocess::FileLayout::value_only;
  /// Every file ever asked for, by directory and prefix; never freed (words point into them).
  std::vector<std::unique_ptr<MmapFile>> files;

  std::mutex warning_mutex;
  std::function<void(std::string_view)> warning_handler;
};

/// Never destroyed: families in static objects may record after any other static is gone.
Store& store() {
  static Store* const instance = new Store();
  return *instance;
}

/// Reads the environment while the library is loaded, as Python reads it at import.
[[maybe_unused]] const bool environment_read_at_load = (store(), true);

}  // namespace

const char* multiprocess_mode_name(MultiprocessMode mode) noexcept {
  switch (mode) {
    case MultiprocessMode::all:
      return "all";
    case MultiprocessMode::liveall:
      return "liveall";
    case MultiprocessMode::min:
      return "min";
    case MultiprocessMode::livemin:
      return "livemin";
    case MultiprocessMode::max:
      return "max";
    case MultiprocessMode::livemax:
      return "livemax";
    case MultiprocessMode::sum:
      return "sum";
    case MultiprocessMode::livesum:
      return "livesum";
    case MultiprocessMode::mostrecent:
      return "mostrecent";
    case MultiprocessMode::livemostrecent:
      return "livemostrecent";
  }
  return "all";
}

ExternalValues* multiprocess_values_for(MetricType type, MultiprocessMode mode,
                                        const FamilyIdentity& identity) {
  Store& state = store();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.enabled) return nullptr;
  std::string scratch;
  if (!append_json_string(scratch, identity.documentation)) {
    throw Error("metric '" + identity.name +
                "': the documentation is not valid UTF-8, which multiprocess files cannot hold");
  }
  std::string prefix;
  switch (type) {
    case MetricType::counter:
      prefix = "counter";
      break;
    case MetricType::histogram:
      prefix = "histogram";
      break;
    case MetricType::summary:
      prefix = "summary";
      break;
    case MetricType::gauge:
      if (mode == MultiprocessMode::mostrecent || mode == MultiprocessMode::livemostrecent) {
        throw Error("gauge '" + identity.name + "': multiprocess mode '" +
                    multiprocess_mode_name(mode) +
                    "' needs every set() to write a timestamp (prometheus_client 0.18+); this "
                    "library aggregates such files but does not write them");
      }
      prefix = std::string("gauge_") + multiprocess_mode_name(mode);
      break;
    case MetricType::info:
    case MetricType::stateset:
    case MetricType::custom:
      return nullptr;  // kept in process memory: prometheus_client has no files for them
  }
  for (const std::unique_ptr<MmapFile>& file : state.files) {
    if (file->directory() == state.directory && file->prefix() == prefix) return file.get();
  }
  state.files.push_back(
      std::make_unique<MmapFile>(state.directory, prefix, state.layout, state.mutex));
  return state.files.back().get();
}

std::string resolve_multiprocess_directory(const std::string& given) {
  if (!given.empty()) return given;
  Store& state = store();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.enabled ? state.directory : state.environment_directory;
}

void multiprocess_warning(const std::string& message) noexcept {
  Store& state = store();
  std::lock_guard<std::mutex> lock(state.warning_mutex);
  if (state.warning_handler) {
    try {
      state.warning_handler(message);
    } catch (...) {  // a warning must never become a failed scrape
    }
    return;
  }
  const std::string line = message + "\n";
  // write(2), not stdio: this may run in a fork() child whose stdio lock a dead thread held.
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace bentoml::metrics::detail

namespace bentoml::metrics::multiprocess {

void enable(const Options& options) {
  detail::Store& state = detail::store();
  const std::string directory =
      options.directory.empty() ? state.environment_directory : options.directory;
  if (directory.empty()) {
    throw Error(
        "multiprocess::enable: no directory (set Options::directory or "
        "PROMETHEUS_MULTIPROC_DIR)");
  }
  struct stat status {};
  if (::stat(directory.c_str(), &status) != 0 || !S_ISDIR(status.st_mode)) {
    throw Error("multiprocess::enable: '" + directory + "' is not a directory");
  }
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    throw Error("multiprocess::enable: cannot write into '" + directory +
                "': " + std::strerror(errno));
  }
  std::lock_guard<std::mutex> lock(state.mutex);
  state.enabled = true;
  state.directory = directory;
  state.layout = options.layout;
}

void disable() noexcept {
  detail::Store& state = detail::store();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.enabled = false;
}

bool enabled() noexcept {
  detail::Store& state = detail::store();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.enabled;
}

std::string directory() {
  detail::Store& state = detail::store();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.enabled ? state.directory : std::string();
}

void mark_process_dead(long pid, const std::string& directory) {
  const std::string path = detail::resolve_multiprocess_directory(directory);
  if (path.empty()) {
    throw Error(
        "mark_process_dead: no directory (pass one, enable multiprocess mode or set "
        "PROMETHEUS_MULTIPROC_DIR)");
  }
  for (const char* mode : {"liveall", "livemin", "livemax", "livesum", "livemostrecent"}) {
    const std::string file = path + "/gauge_" + mode + "_" + std::to_string(pid) + ".db";
    ::unlink(file.c_str());  // absent is fine: the process had no such gauge
  }
}

void set_warning_handler(std::function<void(std::string_view message)> handler) {
  detail::Store& state = detail::store();
  std::lock_guard<std::mutex> lock(state.warning_mutex);
  state.warning_handler = std::move(handler);
}

}  // namespace bentoml::metrics::multiprocess
