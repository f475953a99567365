// Aggregating a multiprocess directory at scrape time; see aggregator.hpp for the rules and
// aggregate_model.hpp for what is kept between scrapes.
#include "multiprocess/aggregator.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "multiprocess/aggregate_model.hpp"
#include "multiprocess/file_format.hpp"
#include "multiprocess/store.hpp"

namespace bentoml::metrics::detail {
namespace {

using multiprocess::FileLayout;

/// Files read with their entries resolved and kept across scrapes are held open, at most this
/// many; others are read afresh at every scrape.
constexpr std::size_t kMaxCachedFiles = 512;

/// One entry of a file, resolved: where its value goes.
struct Entry {
  static constexpr std::uint32_t kGauge = Key::kGauge;
  static constexpr std::uint32_t kSkip = 0xFFFFFFFE;  ///< a metric of another kind: left out
  std::uint32_t accumulator;
  std::uint32_t value_offset;
  Key* key;
};

/// A file's resolved entries. Writers only ever append to a file (prometheus_client and this
/// library alike), so the entries below `parsed_used` stay what they were; a file is the same
/// file as long as its path names the same inode, and the open descriptor kept here stops the
/// inode from being freed and its number reused by a new file.
struct CachedFile {
  int fd = -1;
  dev_t device = 0;
  ino_t inode = 0;
  FileName name;
  FileLayout layout = FileLayout::value_only;
  std::uint32_t parsed_used = kHeaderBytes;
  std::vector<Entry> entries;
  bool seen = false;

  CachedFile() = default;
  CachedFile(const CachedFile&) = delete;
  CachedFile& operator=(const CachedFile&) = delete;
  ~CachedFile() {
    if (fd >= 0) ::close(fd);
  }
};

bool read_exactly(int fd, char* into, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, into + done, size - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<std::size_t>(got);
  }
  return true;
}

}  // namespace

struct Aggregator::State {
  std::string directory;
  std::unique_ptr<AggregateModel> model = std::make_unique<AggregateModel>();
  std::map<std::string, std::unique_ptr<CachedFile>> files;  ///< by file name
  std::size_t dropped_entries = 0;         ///< entries of files gone since the model was built
  std::unordered_set<std::string> warned;  ///< files reported as unreadable, until readable
  // Per scrape, kept for their capacity:
  std::string content;
  std::vector<std::string> pids;
  std::vector<Entry> fresh;
  /// Per kind, the entries of the last file of that kind resolved in this scrape: processes of
  /// one program write the same keys at the same offsets, so a new file's entry is first
  /// compared with the one at its offset there (a sequential memcmp) before any hashing.
  const std::vector<Entry>* last_of_kind[4] = {};

  void warn_once(const std::string& file, const std::string& reason) {
    if (warned.insert(file).second) {
      multiprocess_warning("bentoml-metrics: multiprocess file " + directory + "/" + file +
                           " left out of the aggregate: " + reason);
    }
  }
  void scrape(ExpositionWriter& writer);
  /// The file's cache, opened (or reopened when the path names another inode); null when the
  /// file is gone or cannot be opened.
  CachedFile* open(const std::string& name, const FileName& file_name);
  /// Reads the file, resolves its new entries and adds its values; false (nothing added) when
  /// it is unreadable or corrupt.
  bool read(const std::string& name, CachedFile& file);
  bool resolve_new_entries(CachedFile& file, std::uint32_t used);
  void apply(const CachedFile& file, bool timestamped);
};

CachedFile* Aggregator::State::open(const std::string& name, const FileName& file_name) {
  const std::string path = directory + "/" + name;
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    if (errno != ENOENT) warn_once(name, std::strerror(errno));
    files.erase(name);
    return nullptr;  // ENOENT: removed since the listing (mark_process_dead), not a fault
  }
  auto cached = files.find(name);
  if (cached != files.end() && cached->second->device == status.st_dev &&
      cached->second->inode == status.st_ino) {
    return cached->second.get();
  }
  if (cached != files.end()) {  // another file now: start over
    dropped_entries += cached->second->entries.size();
    files.erase(cached);
  }
  auto file = std::make_unique<CachedFile>();
  file->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd < 0) {
    if (errno != ENOENT) warn_once(name, std::strerror(errno));
    return nullptr;
  }
  if (::fstat(file->fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    warn_once(name, "not a regular file");
    return nullptr;
  }
  file->device = status.st_dev;
  file->inode = status.st_ino;
  file->name = file_name;
  CachedFile* result = file.get();
  files[name] = std::move(file);
  return result;
}

bool Aggregator::State::resolve_new_entries(CachedFile& file, std::uint32_t used) {
  const char* data = content.data();
  if (file.parsed_used == kHeaderBytes) {
    // A new file: its layout shows in its entries. The cheap guess (first entry) is confirmed
    // by walking them all below; the other layout is tried if that walk fails.
    if (!detect_layout(data, used, FileLayout::value_only, file.layout)) return false;
  }
  fresh.clear();
  bool parsed = true;
  const std::vector<Entry>* like = last_of_kind[static_cast<int>(file.name.kind)];
  std::size_t alike = 0;
  const bool walked =
      walk_entries(data, used, file.layout, file.parsed_used, [&](const FileEntry& entry) {
        if (!parsed) return;
        Key* key = nullptr;
        if (like != nullptr) {
          while (alike < like->size() && (*like)[alike].value_offset < entry.value_offset) ++alike;
          if (alike < like->size() && (*like)[alike].value_offset == entry.value_offset &&
              (*like)[alike].key->identity == entry.key) {
            key = (*like)[alike].key;
          }
        }
        if (key == nullptr) key = model->resolve(entry.key, file.name.kind);
        if (key == nullptr) {
          parsed = false;
          return;
        }
        const std::uint32_t accumulator =
            key->series->metric->kind != file.name.kind ? Entry::kSkip : key->accumulator;
        fresh.push_back({accumulator, entry.value_offset, key});
      });
  if (!walked || !parsed) return false;
  file.entries.insert(file.entries.end(), fresh.begin(), fresh.end());
  file.parsed_used = used;
  last_of_kind[static_cast<int>(file.name.kind)] = &file.entries;
  return true;
}

bool Aggregator::State::read(const std::string& name, CachedFile& file) {
  // `used` first, with a read of its own: every entry below it was complete when it was stored.
  char header[kHeaderBytes];
  const ssize_t got = ::pread(file.fd, header, sizeof header, 0);
  if (got == 0) return true;  // being created: no entries yet
  if (got != static_cast<ssize_t>(sizeof header)) {
    warn_once(name, "corrupt header");
    return false;
  }
  const std::uint32_t used = load_u32(header);
  if (used == 0 || used == kHeaderBytes) return true;
  if (used < kHeaderBytes) {
    warn_once(name, "corrupt header");
    return false;
  }
  if (used < file.parsed_used) {  // shrunk: not written by an appending writer; read afresh
    dropped_entries += file.entries.size();
    file.entries.clear();
    file.parsed_used = kHeaderBytes;
  }
  content.resize(used);
  if (!read_exactly(file.fd, content.data(), used)) {
    warn_once(name, "truncated (shorter than the " + std::to_string(used) +
                        " bytes its header announces)");
    return false;
  }
  if (used > file.parsed_used && !resolve_new_entries(file, used)) {
    warn_once(name,
              "corrupt entries (a length past the end, or a key that is not "
              "prometheus_client's JSON)");
    dropped_entries += file.entries.size();
    file.entries.clear();
    file.parsed_used = kHeaderBytes;
    return false;
  }
  warned.erase(name);
  apply(file, file.layout == FileLayout::timestamped);
  return true;
}

void Aggregator::State::apply(const CachedFile& file, bool timestamped) {
  const char* data = content.data();
  const auto pid = static_cast<std::uint32_t>(pids.size());
  if (file.name.kind == FileKind::gauge) pids.push_back(file.name.pid);
  for (const Entry& entry : file.entries) {
    const double value = load_f64(data + entry.value_offset);
    if (entry.accumulator < Entry::kSkip) {
      model->add(entry.accumulator, value);
    } else if (entry.accumulator == Entry::kGauge) {
      Series& series = *entry.key->series;
      series.metric->mode = file.name.mode;  // the last file read decides, as Python's reader
      const double timestamp = timestamped ? load_f64(data + entry.value_offset + 8) : 0;
      series.gauge_values.push_back({entry.key->sample, pid, value, timestamp});
    }
  }
}

void Aggregator::State::scrape(ExpositionWriter& writer) {
  std::vector<std::string> names;
  if (DIR* listing = ::opendir(directory.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      const std::string_view name = entry->d_name;
      // glob('*.db'): hidden files (a fork child's file being written) are not matched.
      if (name.size() > 3 && name[0] != '.' && name.substr(name.size() - 3) == ".db") {
        names.emplace_back(name);
      }
    }
    ::closedir(listing);
    warned.erase(".");
  } else {
    warn_once(".", std::string("cannot list the directory: ") + std::strerror(errno));
  }
  std::sort(names.begin(), names.end());
  // Files gone since the last scrape take their entries with them; once those outnumber the
  // live ones, the model starts afresh (all keys parsed again), so memory follows the directory.
  for (auto& [name, file] : files) file->seen = false;
  for (const std::vector<Entry>*& like : last_of_kind) like = nullptr;
  model->start_scrape();
  pids.clear();
  for (const std::string& name : names) {
    FileName file_name;
    if (!parse_file_name(name, file_name)) {
      warn_once(name, "its name is not <counter|gauge_<mode>|histogram|summary>_<pid>.db");
      continue;
    }
    CachedFile* file = open(name, file_name);
    if (file == nullptr) continue;
    file->seen = true;
    read(name, *file);
  }
  std::size_t live_entries = 0;
  for (auto it = files.begin(); it != files.end();) {
    if (!it->second->seen) {
      dropped_entries += it->second->entries.size();
      it = files.erase(it);
    } else {
      live_entries += it->second->entries.size();
      ++it;
    }
  }
  model->write(writer, pids);
  if (files.size() > kMaxCachedFiles) {  // too many to hold open: read afresh next time
    dropped_entries += live_entries;
    live_entries = 0;
    files.clear();
  }
  if (dropped_entries > live_entries + 100000) {  // mostly keys of files gone: start afresh
    files.clear();
    model = std::make_unique<AggregateModel>();
    dropped_entries = 0;
  }
}

Aggregator::Aggregator(std::string directory) : state_(std::make_unique<State>()) {
  state_->directory = std::move(directory);
}

Aggregator::~Aggregator() = default;

const std::string& Aggregator::directory() const noexcept { return state_->directory; }

void Aggregator::write(ExpositionWriter& writer) { state_->scrape(writer); }

void Aggregator::close_files() noexcept {
  for (const auto& [name, file] : state_->files) state_->dropped_entries += file->entries.size();
  state_->files.clear();  // the model stays: keys mean what they meant
}

}  // namespace bentoml::metrics::detail
