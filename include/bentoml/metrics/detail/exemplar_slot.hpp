// Internal: the latest exemplar of one bucket or counter, stored without a lock or allocation.
// Not part of the API.
//
// A sequence lock whose writers never wait: a writer takes the slot by moving the sequence from
// even to odd with a CAS (acquire); if another writer holds it, this exemplar is dropped, since
// only the latest one is kept anyway. It writes the value, timestamp and the label bytes as
// relaxed atomic words (each label as a 16-bit name length, a 16-bit value length, the name and
// the value: lengths, not separators, so any byte, NUL included, comes back as it was given), then
// publishes with a release store of the next even sequence. A reader (a scrape) loads the sequence
// with acquire, copies, fences (acquire) and checks the sequence again; it retries a few times and
// otherwise omits the exemplar.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "bentoml/metrics/detail/double_bits.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/timer.hpp"  // unix_time_now

namespace bentoml::metrics::detail {

/// OpenMetrics: the names and values of an exemplar's labels total at most 128 characters.
inline constexpr std::size_t kMaxExemplarRunes = 128;
/// Bytes of the two lengths stored before each label's name and value.
inline constexpr std::size_t kExemplarLabelOverhead = 4;
/// 128 characters of UTF-8 are at most 512 bytes; with at most 128 labels (a name is at least
/// one character) of 4 bytes of lengths each, a valid exemplar needs at most 640 bytes.
inline constexpr std::size_t kExemplarBytes = 768;

/// An exemplar copied out of a slot by a scrape.
struct ExemplarReading {
  double value = 0;
  double timestamp = 0;  ///< seconds since the Unix epoch
  std::size_t size = 0;  ///< bytes used in `bytes`
  char bytes[kExemplarBytes];
};

class ExemplarSlot {
 public:
  /// Stores an exemplar whose labels were validated (see validate_exemplar). Never waits.
  void store(std::initializer_list<LabelPair> labels, double value, double timestamp) noexcept {
    std::uint64_t sequence = sequence_.load(std::memory_order_relaxed);
    if ((sequence & 1) != 0 ||
        !sequence_.compare_exchange_strong(sequence, sequence + 1, std::memory_order_acquire)) {
      return;  // another writer is storing an exemplar here right now; theirs is as recent
    }
    std::atomic_thread_fence(std::memory_order_release);
    char bytes[kExemplarBytes];
    std::size_t size = 0;
    for (const LabelPair& label : labels) {
      const auto name_size = static_cast<std::uint16_t>(label.name().size());
      const auto value_size = static_cast<std::uint16_t>(label.value().size());
      std::memcpy(bytes + size, &name_size, sizeof name_size);
      std::memcpy(bytes + size + sizeof name_size, &value_size, sizeof value_size);
      size += kExemplarLabelOverhead;
      std::memcpy(bytes + size, label.name().data(), name_size);
      size += name_size;
      std::memcpy(bytes + size, label.value().data(), value_size);
      size += value_size;
    }
    for (std::size_t word = 0; word * 8 < size; ++word) {
      std::uint64_t chunk = 0;
      std::memcpy(&chunk, bytes + word * 8, size - word * 8 < 8 ? size - word * 8 : 8);
      words_[word].store(chunk, std::memory_order_relaxed);
    }
    size_.store(size, std::memory_order_relaxed);
    value_bits_.store(double_to_bits(value), std::memory_order_relaxed);
    timestamp_bits_.store(double_to_bits(timestamp), std::memory_order_relaxed);
    sequence_.store(sequence + 2, std::memory_order_release);
  }

  /// In a child process after fork(): a store that a dead thread left half done is dropped, so
  /// that the slot takes exemplars again.
  void after_fork_in_child() noexcept {
    if ((sequence_.load(std::memory_order_relaxed) & 1) != 0) {
      sequence_.store(0, std::memory_order_relaxed);
    }
  }

  /// Copies the exemplar out; false when there is none or writers kept it busy.
  bool load(ExemplarReading& out) const noexcept {
    for (int attempt = 0; attempt < 16; ++attempt) {
      const std::uint64_t before = sequence_.load(std::memory_order_acquire);
      if (before == 0) return false;
      if ((before & 1) != 0) continue;
      const std::size_t stored = size_.load(std::memory_order_relaxed);
      out.size = stored < kExemplarBytes ? stored : kExemplarBytes;
      out.value = bits_to_double(value_bits_.load(std::memory_order_relaxed));
      out.timestamp = bits_to_double(timestamp_bits_.load(std::memory_order_relaxed));
      const std::size_t size = out.size;
      for (std::size_t word = 0; word * 8 < size; ++word) {
        const std::uint64_t chunk = words_[word].load(std::memory_order_relaxed);
        std::memcpy(out.bytes + word * 8, &chunk, size - word * 8 < 8 ? size - word * 8 : 8);
      }
      std::atomic_thread_fence(std::memory_order_acquire);
      if (sequence_.load(std::memory_order_relaxed) == before) return true;
    }
    return false;
  }

 private:
  std::atomic<std::uint64_t> sequence_{0};
  std::atomic<std::uint64_t> size_{0};
  std::atomic<std::uint64_t> value_bits_{0};
  std::atomic<std::uint64_t> timestamp_bits_{0};
  std::atomic<std::uint64_t> words_[kExemplarBytes / 8]{};
};

/// Throws metrics::Error (naming `metric`) unless `labels` is a valid OpenMetrics exemplar label
/// set: valid label names, none reserved (`__` prefix) or repeated, values of valid UTF-8, at
/// most 128 characters (code points) of names and values together. An empty set is valid: it
/// means "no exemplar" and leaves the previous one in place, as in prometheus_client.
void validate_exemplar(std::string_view metric, std::initializer_list<LabelPair> labels);

/// Calls `visit(name, value)` for each label of an exemplar stored by ExemplarSlot::store.
template <class Visit>
void for_each_exemplar_label(const ExemplarReading& reading, Visit&& visit) {
  std::size_t at = 0;
  while (at + kExemplarLabelOverhead <= reading.size) {
    std::uint16_t name_size = 0;
    std::uint16_t value_size = 0;
    std::memcpy(&name_size, reading.bytes + at, sizeof name_size);
    std::memcpy(&value_size, reading.bytes + at + sizeof name_size, sizeof value_size);
    at += kExemplarLabelOverhead;
    if (at + name_size + value_size > reading.size) return;  // never read past what was stored
    visit(std::string_view(reading.bytes + at, name_size),
          std::string_view(reading.bytes + at + name_size, value_size));
    at += name_size + value_size;
  }
}

}  // namespace bentoml::metrics::detail
