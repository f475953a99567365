// Layout detection for the multiprocess files; see file_format.hpp.
#include "multiprocess/file_format.hpp"

namespace bentoml::metrics::detail {
namespace {

using multiprocess::FileLayout;

/// Whether the first entry, read as `layout`, is followed by the end of the used bytes or by
/// another well-formed entry start. Cheap: a file's layout shows in its first entry.
bool first_entry_fits(const char* data, std::uint32_t used, FileLayout layout) {
  const std::uint32_t key_bytes = load_u32(data + kHeaderBytes);
  const std::uint64_t next = kHeaderBytes + entry_bytes(key_bytes, layout);
  if (key_bytes == 0 || next > used || data[kHeaderBytes + 4] != '[') return false;
  if (next == used) return true;
  if (used - next < 5) return false;
  return load_u32(data + next) != 0 && data[next + 4] == '[';
}

}  // namespace

bool detect_layout(const char* data, std::uint32_t used, FileLayout fallback, FileLayout& layout) {
  if (used <= kHeaderBytes) {
    layout = fallback;
    return true;
  }
  if (used - kHeaderBytes < 5) return false;
  for (const FileLayout candidate : {FileLayout::value_only, FileLayout::timestamped}) {
    if (first_entry_fits(data, used, candidate) &&
        walk_entries(data, used, candidate, [](const FileEntry&) {})) {
      layout = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace bentoml::metrics::detail
