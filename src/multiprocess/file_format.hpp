// Internal: the layout of prometheus_client's multiprocess files (mmap_dict.py), for the writer
// (mmap_file.cpp) and the aggregator (aggregator.cpp).
//
//   [u32 used][4 bytes of padding]                    used: bytes in use, header included
//   entries: [u32 key length][key, UTF-8][1-8 spaces to 8-byte alignment][f64 value]
//            ... and [f64 timestamp] after the value in prometheus_client 0.18 and later
//
// Native byte order (Python's struct 'i' and 'd'), files created at 64 KiB and doubled as they
// fill. The key is padded with `8 - (length + 4) % 8` spaces (one to eight), so the value is
// 8-byte aligned and can be updated with one atomic 8-byte operation. Nothing in a file says
// which layout it has: detect_layout() tells them apart by walking the entries both ways.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "bentoml/metrics/multiprocess.hpp"

namespace bentoml::metrics::detail {

inline constexpr std::uint32_t kHeaderBytes = 8;
inline constexpr std::uint64_t kInitialFileBytes = std::uint64_t{1} << 16;
/// `used` is a signed 32-bit integer in Python: no file may grow past it.
inline constexpr std::uint64_t kMaxFileBytes = 0x7FFFFFFF;

/// The key's size with its padding: the value that follows is 8-byte aligned.
constexpr std::uint32_t padded_key_bytes(std::uint32_t key_bytes) noexcept {
  return key_bytes + (8 - (key_bytes + 4) % 8);
}
constexpr std::uint32_t value_bytes(multiprocess::FileLayout layout) noexcept {
  return layout == multiprocess::FileLayout::timestamped ? 16 : 8;
}
/// Bytes of a whole entry whose key has `key_bytes` bytes.
constexpr std::uint64_t entry_bytes(std::uint64_t key_bytes,
                                    multiprocess::FileLayout layout) noexcept {
  return 4 + key_bytes + (8 - (key_bytes + 4) % 8) + value_bytes(layout);
}

inline std::uint32_t load_u32(const char* at) noexcept {
  std::uint32_t value;
  std::memcpy(&value, at, sizeof value);
  return value;
}
inline double load_f64(const char* at) noexcept {
  double value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

/// One entry as walk_entries() finds it: offsets are from the start of the file.
struct FileEntry {
  std::uint32_t offset;        ///< of the entry (its key length)
  std::uint32_t value_offset;  ///< of the value (the timestamp follows in the newer layout)
  std::string_view key;
};

/// Calls `visit(const FileEntry&)` for each entry of `data[from, used)` laid out as `layout`
/// (`from`: an entry's start, the header's end by default). False (after visiting the entries
/// before it) when an entry is malformed: it would reach past `used`, or a key is empty or does
/// not start with '['. `data` holds at least `used` bytes.
template <class Visit>
bool walk_entries(const char* data, std::uint32_t used, multiprocess::FileLayout layout,
                  std::uint32_t from, Visit&& visit) {
  std::uint64_t at = from;
  while (at < used) {
    if (used - at < 4) return false;
    const std::uint32_t key_bytes = load_u32(data + at);
    const std::uint64_t size = entry_bytes(key_bytes, layout);
    if (key_bytes == 0 || size > used - at || data[at + 4] != '[') return false;
    const auto offset = static_cast<std::uint32_t>(at);
    visit(FileEntry{offset, static_cast<std::uint32_t>(at + 4 + padded_key_bytes(key_bytes)),
                    std::string_view(data + at + 4, key_bytes)});
    at += size;
  }
  return true;
}

template <class Visit>
bool walk_entries(const char* data, std::uint32_t used, multiprocess::FileLayout layout,
                  Visit&& visit) {
  return walk_entries(data, used, layout, kHeaderBytes, static_cast<Visit&&>(visit));
}

/// Which layout `data[0, used)` has: the one whose entries end exactly at `used`. A file with no
/// entries fits both: `fallback` is returned. False when neither fits (a corrupt file).
bool detect_layout(const char* data, std::uint32_t used, multiprocess::FileLayout fallback,
                   multiprocess::FileLayout& layout);

}  // namespace bentoml::metrics::detail
