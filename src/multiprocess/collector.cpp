// MultiProcessCollector and write_aggregate: the aggregate of a directory as a registry member.
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/multiprocess.hpp"
#include "exposition_writer.hpp"
#include "multiprocess/aggregator.hpp"
#include "multiprocess/store.hpp"
#include "storage/registry_access.hpp"

namespace bentoml::metrics::detail {
namespace {

/// A registry member that writes the directory's aggregate instead of children of its own. Its
/// name (with spaces, so no metric can have it) claims nothing a metric could want: like
/// Python's MultiProcessCollector, which has no describe(), it takes no names in the registry.
class AggregateFamily final : public FamilyBase {
 public:
  AggregateFamily(const std::string& directory, int number)
      : FamilyBase(
            FamilyIdentity{"multiprocess collector " + std::to_string(number) + " of " + directory,
                           {},
                           {},
                           {},
                           MetricType::gauge,
                           {},
                           0}),
        aggregator_(directory) {}
  ~AggregateFamily() override { destroy_children(); }

  void write(ExpositionWriter& writer) const override {
    std::lock_guard<std::mutex> lock(mutex_);  // one aggregation at a time: it owns a cache
    aggregator_.write(writer);
  }
  // A scrape in progress holds the mutex: a fork() waits for it, so the child's copy of the
  // cache is whole and its mutex free.
  void before_fork() noexcept override { mutex_.lock(); }
  void after_fork_in_parent() noexcept override { mutex_.unlock(); }
  void after_fork_in_child() noexcept override {
    aggregator_.close_files();
    mutex_.unlock();
  }

 private:
  ChildHeader* make_child(const std::string_view*) override {
    throw Error("a multiprocess collector has no children");
  }
  void destroy_child(ChildHeader*) noexcept override {}

  mutable std::mutex mutex_;
  mutable Aggregator aggregator_;
};

}  // namespace
}  // namespace bentoml::metrics::detail

namespace bentoml::metrics::multiprocess {

MultiProcessCollector::MultiProcessCollector(Registry& registry, const std::string& directory)
    : directory_(detail::resolve_multiprocess_directory(directory)) {
  struct stat status {};
  if (directory_.empty() || ::stat(directory_.c_str(), &status) != 0 || !S_ISDIR(status.st_mode)) {
    throw Error(directory_.empty()
                    ? "MultiProcessCollector: env PROMETHEUS_MULTIPROC_DIR is not set or not a "
                      "directory (and no directory was given)"
                    : "MultiProcessCollector: '" + directory_ + "' is not a directory");
  }
  static std::atomic<int> collectors{0};
  detail::RegistryAccess::register_family(
      registry, std::make_shared<detail::AggregateFamily>(
                    directory_, collectors.fetch_add(1, std::memory_order_relaxed) + 1));
}

void write_aggregate(std::string& out, const std::string& directory, Format format) {
  detail::ExpositionWriter writer(out, format);
  detail::Aggregator aggregator(directory);
  aggregator.write(writer);
  writer.finish();
}

}  // namespace bentoml::metrics::multiprocess
