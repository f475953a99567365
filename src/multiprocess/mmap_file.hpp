// Internal: one multiprocess file this process writes (prometheus_client's MmapedDict), e.g.
// `counter_<pid>.db`. Families in multiprocess mode get their children's words from it.
//
// Growth never moves a word. The file is mapped in *extents*: the first maps it whole when it is
// opened; when an entry does not fit, the file is extended (doubled, as Python does) and the
// new part is mapped as one more extent, starting at the page of the first byte not yet used, so
// that the entry being written lies inside it. No extent is ever unmapped or moved while the
// process lives and the file only grows, so every word handed out stays mapped and backed by
// the file: recording threads keep their pointers across any growth, with no lock and no check.
// (Extents may overlap by up to a page; two views of one file page are one physical page, so
// atomic operations through either stay atomic.)
//
// Publication: a new series' entries (length, key, padding, zero value, for each of its samples)
// are written into space past `used`, which no reader looks at; then `used` is stored once, with
// release order. A reader that sees the new `used` (the aggregator reads it first, with a
// separate read) finds the series complete: all its buckets or none. A process killed at any
// point leaves every entry below `used` whole.
//
// After fork() the child must not write into the parent's file. after_fork_in_child() writes a
// file for the child's pid with the same entries at the same offsets (values zero, as Python's
// child starts), and maps it with MAP_FIXED over every extent: the child's pointers now reach
// its own file. It runs in the fork handler, when no other thread exists.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/family.hpp"
#include "storage/external_values.hpp"
#include "bentoml/metrics/multiprocess.hpp"

namespace bentoml::metrics::detail {

class MmapFile final : public ExternalValues {
 public:
  /// A file `<prefix>_<pid>.db` in `directory`, opened on first use. `mutex` (the store's)
  /// guards every member; it outlives the file.
  MmapFile(std::string directory, std::string prefix, multiprocess::FileLayout layout,
           std::mutex& mutex);
  MmapFile(const MmapFile&) = delete;
  MmapFile& operator=(const MmapFile&) = delete;
  ~MmapFile() = default;  // never destroyed while the process lives: words point into it

  void words(const FamilyIdentity& identity, const std::string_view* values,
             const SampleWord* samples, std::size_t count,
             std::atomic<std::uint64_t>** words) override;

  /// In the child after fork(), the mutex held: moves to a file of the child's own.
  void after_fork_in_child() noexcept;

  [[nodiscard]] const std::string& directory() const noexcept { return directory_; }
  [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }

 private:
  struct Extent {
    char* address;
    std::uint64_t offset;  ///< of the file where it starts (a page boundary)
    std::uint64_t length;
  };

  [[nodiscard]] std::string path_for(long pid) const;
  /// Python's key of one sample: json.dumps([name, sample name, labels, help], sort_keys=True).
  static std::string key_for(const FamilyIdentity& identity, const std::string_view* values,
                             const SampleWord& sample);
  /// The words of `keys`, appending the entries the file lacks and publishing them together.
  void words_for_keys_locked(const std::vector<std::string>& keys,
                             std::atomic<std::uint64_t>** words);
  void open_locked();
  /// Replaces the file's content by an empty file of the initial size (a corrupt file).
  void reset_locked();
  /// Extends the file to hold `end` bytes and maps the new part.
  void grow_locked(std::uint64_t end);
  /// The address of file bytes [offset, offset + length), which one extent holds.
  [[nodiscard]] char* address(std::uint64_t offset, std::uint64_t length) const noexcept;
  void publish_used_locked() noexcept;
  void index_locked(std::uint32_t entry_offset, std::string_view key);
  [[nodiscard]] std::int64_t find_locked(std::string_view key, std::uint64_t hash) const;
  /// The bytes [0, used) of the file, read back from the mapping.
  [[nodiscard]] std::string content_locked() const;
  bool move_to_child_file(long pid, std::string& failure) noexcept;

  std::mutex& mutex_;
  std::string directory_;
  std::string prefix_;
  multiprocess::FileLayout layout_;
  long pid_;
  int fd_ = -1;
  bool broken_ = false;  ///< a fork child could not get its own file: no more entries
  std::uint64_t capacity_ = 0;
  std::uint32_t used_ = 0;
  std::vector<Extent> extents_;
  /// Open addressing: (32 bits of the key's hash << 32) | entry offset; 0 is empty.
  std::vector<std::uint64_t> index_;
  std::size_t entries_ = 0;
};

}  // namespace bentoml::metrics::detail
