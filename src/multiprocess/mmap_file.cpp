// A multiprocess file this process writes: see mmap_file.hpp for growth and publication.
#include "multiprocess/mmap_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "bentoml/metrics/detail/label_hash.hpp"
#include "bentoml/metrics/error.hpp"
#include "multiprocess/file_format.hpp"
#include "multiprocess/json_key.hpp"
#include "multiprocess/store.hpp"
#include "number_format.hpp"

namespace bentoml::metrics::detail {

static_assert(sizeof(std::atomic<std::uint64_t>) == 8 && alignof(std::atomic<std::uint64_t>) == 8,
              "a mapped value word is used as an std::atomic<uint64_t>");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "values shared between processes need lock-free 8-byte atomics");

namespace {

std::string errno_text() { return std::strerror(errno); }

std::uint64_t page_size() {
  static const auto size = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::uint64_t hash_key(std::string_view key) { return hash_value(0x243F6A8885A308D3ULL, key); }

/// Reads exactly `size` bytes at `offset`; false on error or short file.
bool read_exactly(int fd, char* into, std::size_t size, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = pread(fd, into + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<std::size_t>(got);
  }
  return true;
}

bool write_exactly(int fd, const char* from, std::size_t size, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t put = pwrite(fd, from + done, size - done, static_cast<off_t>(offset + done));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    done += static_cast<std::size_t>(put);
  }
  return true;
}

/// Reserves disk blocks for [offset, offset + length), so that a full disk is an error here and
/// not a SIGBUS when a page of the mapping is first written. File systems without fallocate
/// (EOPNOTSUPP) keep the sparse file, as Python's truncate() leaves it.
bool reserve_blocks(int fd, std::uint64_t offset, std::uint64_t length) {
  if (fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(length)) == 0) return true;
  return errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL;
}

/// Writes the bytes of a new entry for `key` at `at` (zero value and, newer layout, timestamp).
void write_entry(char* at, std::string_view key, multiprocess::FileLayout layout) {
  const auto key_bytes = static_cast<std::uint32_t>(key.size());
  std::memcpy(at, &key_bytes, sizeof key_bytes);
  std::memcpy(at + 4, key.data(), key.size());
  const std::uint32_t padded = padded_key_bytes(key_bytes);
  std::memset(at + 4 + key_bytes, ' ', padded - key_bytes);
  std::memset(at + 4 + padded, 0, value_bytes(layout));  // 0.0 is all zero bits
}

}  // namespace

MmapFile::MmapFile(std::string directory, std::string prefix, multiprocess::FileLayout layout,
                   std::mutex& mutex)
    : mutex_(mutex),
      directory_(std::move(directory)),
      prefix_(std::move(prefix)),
      layout_(layout),
      pid_(static_cast<long>(getpid())) {}

std::string MmapFile::path_for(long pid) const {
  return directory_ + "/" + prefix_ + "_" + std::to_string(pid) + ".db";
}

std::string MmapFile::key_for(const FamilyIdentity& identity, const std::string_view* values,
                              const SampleWord& sample) {
  // json.dumps([name, name + suffix, {labels, sorted}, help], sort_keys=True), as Python.
  std::string key = "[";
  append_json_string(key, identity.name);
  key += ", ";
  std::string name = identity.name;
  name += sample.suffix;
  append_json_string(key, name);
  key += ", {";
  std::string le_text;
  if (sample.le != nullptr) append_go_float(le_text, *sample.le);  // floatToGoString, as Python
  const std::size_t count = identity.labelnames.size();
  bool first = true;
  const auto add_label = [&](std::string_view label, std::string_view value) {
    if (!first) key += ", ";
    first = false;
    append_json_string(key, label);
    key += ": ";
    if (!append_json_string(key, value)) {
      throw Error("metric '" + identity.name + "': the value of label '" + std::string(label) +
                  "' is not valid UTF-8, which multiprocess files cannot hold");
    }
  };
  for (std::size_t position = 0; position <= count; ++position) {
    if (sample.le != nullptr && position == identity.labels_before_le) add_label("le", le_text);
    if (position == count) break;
    const std::uint32_t index = identity.sorted_labels[position];
    add_label(identity.labelnames[index], values[index]);
  }
  key += "}, ";
  append_json_string(key, identity.documentation);  // checked for UTF-8 at registration
  key += "]";
  return key;
}

void MmapFile::words(const FamilyIdentity& identity, const std::string_view* values,
                     const SampleWord* samples, std::size_t count,
                     std::atomic<std::uint64_t>** words) {
  std::vector<std::string> keys;  // all made (and checked) before the file is touched
  keys.reserve(count);
  for (std::size_t i = 0; i < count; ++i) keys.push_back(key_for(identity, values, samples[i]));
  std::lock_guard<std::mutex> lock(mutex_);
  words_for_keys_locked(keys, words);
}

void MmapFile::words_for_keys_locked(const std::vector<std::string>& keys,
                                     std::atomic<std::uint64_t>** words) {
  if (broken_) {
    throw Error("multiprocess file " + path_for(pid_) +
                " is unavailable (this process could not create it after fork())");
  }
  if (fd_ < 0) open_locked();
  // Room for every new entry first: the file being full or failing to grow is an error before
  // any of the series' entries is written. (A series' sample keys are distinct.)
  std::vector<std::int64_t> found(keys.size());
  std::uint64_t needed = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    found[i] = find_locked(keys[i], hash_key(keys[i]));
    if (found[i] < 0) needed += entry_bytes(keys[i].size(), layout_);
  }
  if (used_ + needed > kMaxFileBytes) {
    throw Error("multiprocess file " + path_for(pid_) + " is full (2 GiB, Python's limit)");
  }
  if (used_ + needed > capacity_) grow_locked(used_ + needed);  // one extent holds them all
  const std::uint32_t published = used_;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (found[i] < 0) {
      const std::uint64_t size = entry_bytes(keys[i].size(), layout_);
      write_entry(address(used_, size), keys[i], layout_);
      found[i] = used_;
      used_ += static_cast<std::uint32_t>(size);
      index_locked(static_cast<std::uint32_t>(found[i]), keys[i]);
    }
    const auto entry = static_cast<std::uint64_t>(found[i]);
    const std::uint32_t key_bytes = load_u32(address(entry, 4));
    const std::uint64_t value = entry + 4 + padded_key_bytes(key_bytes);
    words[i] = reinterpret_cast<std::atomic<std::uint64_t>*>(address(value, 8));
  }
  // One release store for the whole series: a reader (or a process killed before this line)
  // sees all of its entries or none, so never a histogram without its `+Inf` bucket.
  if (used_ != published) publish_used_locked();
}

void MmapFile::publish_used_locked() noexcept {
  // release: the entry's bytes, written before, are visible to whoever sees this length.
  __atomic_store_n(reinterpret_cast<std::uint32_t*>(address(0, 4)), used_, __ATOMIC_RELEASE);
}

char* MmapFile::address(std::uint64_t offset, std::uint64_t length) const noexcept {
  for (auto extent = extents_.rbegin(); extent != extents_.rend(); ++extent) {
    if (offset >= extent->offset && offset + length <= extent->offset + extent->length) {
      return extent->address + (offset - extent->offset);
    }
  }
  return nullptr;  // unreachable: extents cover [0, capacity) and entries lie in one of them
}

void MmapFile::open_locked() {
  const std::string path = path_for(pid_);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw Error("multiprocess mode: cannot open " + path + ": " + errno_text() +
                " (PROMETHEUS_MULTIPROC_DIR must be a writable directory)");
  }
  struct stat status {};
  if (fstat(fd, &status) != 0) {
    const std::string reason = errno_text();
    ::close(fd);
    throw Error("multiprocess mode: cannot stat " + path + ": " + reason);
  }
  fd_ = fd;
  auto size = static_cast<std::uint64_t>(status.st_size);
  if (size < kHeaderBytes) {  // new (or a stub): Python's initial size
    if (ftruncate(fd_, 0) != 0 || ftruncate(fd_, static_cast<off_t>(kInitialFileBytes)) != 0 ||
        !reserve_blocks(fd_, 0, kInitialFileBytes)) {
      const std::string reason = errno_text();
      ::close(std::exchange(fd_, -1));
      throw Error("multiprocess mode: cannot size " + path + ": " + reason);
    }
    size = kInitialFileBytes;
  }
  void* mapped = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (mapped == MAP_FAILED) {
    const std::string reason = errno_text();
    ::close(std::exchange(fd_, -1));
    throw Error("multiprocess mode: cannot map " + path + ": " + reason);
  }
  extents_.push_back({static_cast<char*>(mapped), 0, size});
  capacity_ = size;
  // A file that exists already belongs to an earlier process with this pid: continue it, as
  // Python does (its values go on from where they were), in its own layout.
  const std::uint32_t used = load_u32(static_cast<const char*>(mapped));
  multiprocess::FileLayout layout = layout_;
  if (used == 0) {
    used_ = kHeaderBytes;
    publish_used_locked();
  } else if (used < kHeaderBytes || used > size ||
             !detect_layout(static_cast<const char*>(mapped), used, layout_, layout)) {
    multiprocess_warning("bentoml-metrics: multiprocess file " + path +
                         " was corrupt; starting it afresh");
    reset_locked();
  } else {
    layout_ = layout;
    used_ = used;
    walk_entries(static_cast<const char*>(mapped), used_, layout_,
                 [this](const FileEntry& entry) { index_locked(entry.offset, entry.key); });
  }
}

void MmapFile::reset_locked() {
  // The content is garbage to every reader; rewrite it in place as an empty file.
  std::memset(extents_.front().address, 0, std::min<std::uint64_t>(capacity_, kInitialFileBytes));
  used_ = kHeaderBytes;
  publish_used_locked();
  index_.clear();
  entries_ = 0;
}

void MmapFile::grow_locked(std::uint64_t end) {
  std::uint64_t capacity = capacity_;
  while (capacity < end) capacity *= 2;
  if (ftruncate(fd_, static_cast<off_t>(capacity)) != 0 ||
      !reserve_blocks(fd_, capacity_, capacity - capacity_)) {
    throw Error("multiprocess mode: cannot grow " + path_for(pid_) + " to " +
                std::to_string(capacity) + " bytes: " + errno_text());
  }
  const std::uint64_t start = used_ / page_size() * page_size();
  void* mapped = mmap(nullptr, capacity - start, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                      static_cast<off_t>(start));
  if (mapped == MAP_FAILED) {
    throw Error("multiprocess mode: cannot map " + path_for(pid_) + ": " + errno_text());
  }
  extents_.push_back({static_cast<char*>(mapped), start, capacity - start});
  capacity_ = capacity;
}

void MmapFile::index_locked(std::uint32_t entry_offset, std::string_view key) {
  if ((entries_ + 1) * 2 > index_.size()) {  // load at most 1/2
    std::vector<std::uint64_t> larger(index_.empty() ? 64 : index_.size() * 2, 0);
    const std::size_t mask = larger.size() - 1;
    for (const std::uint64_t slot : index_) {
      if (slot == 0) continue;
      std::size_t at = (slot >> 32) & mask;
      while (larger[at] != 0) at = (at + 1) & mask;
      larger[at] = slot;
    }
    index_.swap(larger);
  }
  const std::uint64_t hash = hash_key(key) >> 32;
  const std::size_t mask = index_.size() - 1;
  std::size_t at = hash & mask;
  while (index_[at] != 0) at = (at + 1) & mask;
  index_[at] = (hash << 32) | entry_offset;
  ++entries_;
}

std::int64_t MmapFile::find_locked(std::string_view key, std::uint64_t hash) const {
  if (index_.empty()) return -1;
  const std::uint64_t high = hash >> 32;
  const std::size_t mask = index_.size() - 1;
  for (std::size_t at = high & mask; index_[at] != 0; at = (at + 1) & mask) {
    if ((index_[at] >> 32) != high) continue;
    const std::uint64_t entry = index_[at] & 0xFFFFFFFFu;
    const std::uint32_t key_bytes = load_u32(address(entry, 4));
    if (key_bytes == key.size() &&
        std::memcmp(address(entry, 4 + key_bytes) + 4, key.data(), key.size()) == 0) {
      return static_cast<std::int64_t>(entry);
    }
  }
  return -1;
}

std::string MmapFile::content_locked() const {
  std::string content(used_, '\0');
  // Extents together cover [0, capacity); copy page by page from whichever holds it.
  for (std::uint64_t at = 0; at < used_;) {
    const std::uint64_t chunk = std::min<std::uint64_t>(page_size() - at % page_size(), used_ - at);
    std::memcpy(content.data() + at, address(at, chunk), chunk);
    at += chunk;
  }
  return content;
}

void MmapFile::after_fork_in_child() noexcept {
  const auto pid = static_cast<long>(getpid());
  const long parent = std::exchange(pid_, pid);
  if (fd_ < 0 || broken_) return;  // never opened: the child opens its own on first use
  std::string failure;
  if (move_to_child_file(pid, failure)) return;
  // Whatever the child records must not reach the parent's file: the extents become private
  // anonymous memory, and the child's values of this kind are lost (and reported).
  for (const Extent& extent : extents_) {
    // Nothing else to try if even this fails: the child then writes into the parent's file.
    [[maybe_unused]] void* replaced = mmap(extent.address, extent.length, PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  }
  ::close(std::exchange(fd_, -1));
  broken_ = true;
  multiprocess_warning("bentoml-metrics: process " + std::to_string(pid) + " (forked from " +
                       std::to_string(parent) + ") cannot create " + path_for(pid) + ": " +
                       failure + "; its " + prefix_ + " values are not recorded");
}

bool MmapFile::move_to_child_file(long pid, std::string& failure) noexcept {
  try {
    // The parent's entries at the same offsets, with zero values: the child starts from zero
    // (its parent's counts stay in the parent's file), as Python's child does.
    std::string content = content_locked();
    const auto zero_values = [&content, this](const FileEntry& entry) {
      std::memset(content.data() + entry.value_offset, 0, value_bytes(layout_));
    };
    walk_entries(content.data(), used_, layout_, zero_values);
    const std::string path = path_for(pid);
    // A file left by an earlier process with this pid: its values continue in ours (Python
    // continues such a file too); its other entries follow ours.
    std::vector<std::uint32_t> appended;
    const int stale = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (stale >= 0) {
      struct stat status {};
      std::string old;
      std::uint32_t old_used = 0;
      if (fstat(stale, &status) == 0 && status.st_size >= kHeaderBytes) {
        old.resize(static_cast<std::size_t>(status.st_size));
        if (read_exactly(stale, old.data(), old.size(), 0)) old_used = load_u32(old.data());
      }
      ::close(stale);
      multiprocess::FileLayout old_layout = layout_;
      if (old_used > kHeaderBytes && old_used <= old.size() &&
          detect_layout(old.data(), old_used, layout_, old_layout) && old_layout == layout_) {
        walk_entries(old.data(), old_used, layout_, [&](const FileEntry& entry) {
          const std::int64_t ours = find_locked(entry.key, hash_key(entry.key));
          if (ours >= 0) {
            const std::uint64_t value = static_cast<std::uint64_t>(ours) + 4 +
                                        padded_key_bytes(load_u32(content.data() + ours));
            const double sum =
                load_f64(content.data() + value) + load_f64(old.data() + entry.value_offset);
            std::memcpy(content.data() + value, &sum, sizeof sum);
          } else if (content.size() + (entry.value_offset + value_bytes(layout_) - entry.offset) <=
                     kMaxFileBytes) {
            appended.push_back(static_cast<std::uint32_t>(content.size()));
            content.append(old, entry.offset,
                           entry.value_offset + value_bytes(layout_) - entry.offset);
          }
        });
      }
    }
    const auto used = static_cast<std::uint32_t>(content.size());
    std::memcpy(content.data(), &used, sizeof used);
    std::uint64_t capacity = capacity_;
    while (capacity < used) capacity *= 2;
    // Written under a name no aggregator reads, then renamed: readers see the whole file or none.
    const std::string temporary =
        directory_ + "/." + prefix_ + "_" + std::to_string(pid) + ".db.tmp";
    const int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
      failure = errno_text();
      return false;
    }
    const auto fail = [&](std::string reason) {
      failure = std::move(reason);
      ::close(fd);
      ::unlink(temporary.c_str());
      return false;
    };
    if (ftruncate(fd, static_cast<off_t>(capacity)) != 0 || !reserve_blocks(fd, 0, capacity) ||
        !write_exactly(fd, content.data(), content.size(), 0)) {
      return fail(errno_text());
    }
    for (const Extent& extent : extents_) {
      if (mmap(extent.address, extent.length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
               static_cast<off_t>(extent.offset)) == MAP_FAILED) {
        return fail(errno_text());  // the caller maps the extents away from the parent's file
      }
    }
    if (capacity > capacity_) {  // the earlier process's entries did not fit
      const std::uint64_t start = used_ / page_size() * page_size();
      void* mapped = mmap(nullptr, capacity - start, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                          static_cast<off_t>(start));
      if (mapped == MAP_FAILED) return fail(errno_text());
      extents_.push_back({static_cast<char*>(mapped), start, capacity - start});
      capacity_ = capacity;
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) return fail(errno_text());
    ::close(std::exchange(fd_, fd));
    used_ = used;
    for (const std::uint32_t entry : appended) {
      index_locked(entry, std::string_view(address(entry + 4, load_u32(address(entry, 4))),
                                           load_u32(address(entry, 4))));
    }
    return true;
  } catch (...) {
    failure = "out of memory";
    return false;
  }
}

}  // namespace bentoml::metrics::detail
