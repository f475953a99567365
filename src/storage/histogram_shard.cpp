// Reading a single-writer histogram shard without waiting for its writer; see
// histogram_shard.hpp for the protocol and its correctness argument.
#include "bentoml/metrics/detail/histogram_shard.hpp"

#include "storage/spin_wait.hpp"

namespace bentoml::metrics::detail {

void HistogramShard::publish(std::atomic<std::uint64_t>* words, std::size_t bucket_count) noexcept {
  std::uint64_t state = kRequested;
  // Acquire: the reader's last reading, written before its request, is overwritten below.
  if (!words[kRequest].compare_exchange_strong(state, kPublishing, std::memory_order_acquire,
                                               std::memory_order_relaxed)) {
    return;  // taken back
  }
  std::atomic<std::uint64_t>* to = words + last_reading(bucket_count);
  const std::uint64_t sequence = words[kSequence].load(std::memory_order_relaxed);
  // Release stores: a reader copying the last reading under kRequested (step 3) that sees one
  // of them sees kPublishing when it checks the state after.
  to[kReadingCount].store(sequence / 2, std::memory_order_release);
  to[kReadingSum].store(words[kLiveSum].load(std::memory_order_relaxed), std::memory_order_release);
  for (std::size_t i = 0; i < bucket_count; ++i) {
    to[kReadingFirstBucket + i].store(words[kLiveFirstBucket + i].load(std::memory_order_relaxed),
                                      std::memory_order_release);
  }
  words[kRequest].store(kIdle, std::memory_order_release);
}

bool HistogramShard::read_live(std::uint64_t* out) const noexcept {
  const std::uint64_t sequence = words_[kSequence].load(std::memory_order_acquire);
  if (sequence % 2 != 0) return false;
  out[kReadingSum] = words_[kLiveSum].load(std::memory_order_acquire);
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    out[kReadingFirstBucket + i] = words_[kLiveFirstBucket + i].load(std::memory_order_acquire);
  }
  // After the acquire loads above: a word written by a later observation shows its sequence.
  if (words_[kSequence].load(std::memory_order_relaxed) != sequence) return false;
  out[kReadingCount] = sequence / 2;
  return true;
}

void HistogramShard::keep(const std::uint64_t* reading) const noexcept {
  std::uint64_t state = words_[kRequest].load(std::memory_order_acquire);
  if (state == kRequested) {
    // An earlier request the writer has not answered: taken back, so that the last reading can
    // be this one. A failed swap leaves the state the writer moved it to.
    words_[kRequest].compare_exchange_strong(state, kIdle, std::memory_order_acquire,
                                             std::memory_order_acquire);
    if (state == kRequested) state = kIdle;
  }
  // kPublishing: the writer is copying a state no older than `reading` (it has not observed
  // since it began), so the last reading stays no older than anything reported.
  if (state != kIdle) return;
  std::atomic<std::uint64_t>* to = last();
  if (to[kReadingCount].load(std::memory_order_relaxed) == reading[kReadingCount]) return;
  for (std::size_t i = 0; i < reading_words(bucket_count_); ++i) {
    to[i].store(reading[i], std::memory_order_relaxed);
  }
}

void HistogramShard::read_into(HistogramReading& reading) const noexcept {
  std::uint64_t* scratch = reading.scratch;
  if (read_live(scratch)) {  // 1: the common case
    keep(scratch);
    add_stored_reading(scratch, bucket_count_, reading);
    return;
  }
  // 2. Ask the writer, and watch the live words meanwhile.
  std::atomic<std::uint64_t>& request = words_[kRequest];
  if (request.load(std::memory_order_relaxed) == kIdle) {
    // Release: the last reading, written before, is the writer's to overwrite once it sees this.
    request.store(kRequested, std::memory_order_release);
  }
  for (int check = 0; check < kCompletionChecks; ++check) {
    if (request.load(std::memory_order_acquire) == kIdle) {
      add_stored_reading(last(), bucket_count_, reading);  // answered
      return;
    }
    if (check % 16 == 15 && read_live(scratch)) {
      keep(scratch);
      add_stored_reading(scratch, bucket_count_, reading);
      return;
    }
    cpu_relax();
  }
  // 3. The writer stays inside its observation (preempted): the request stays, so that the
  // writer publishes when it runs again and the next reading is no older than that; this one
  // reports the last reading, if the writer does not begin to overwrite it meanwhile.
  for (;;) {
    const std::uint64_t state = request.load(std::memory_order_acquire);
    if (state == kIdle) {  // answered just now
      add_stored_reading(last(), bucket_count_, reading);
      return;
    }
    if (state == kRequested) {
      // The writer moves the state to kPublishing before it writes the last reading, and
      // writes it with release stores: a copy that saw any of them sees the state change.
      const std::atomic<std::uint64_t>* from = last();
      for (std::size_t i = 0; i < reading_words(bucket_count_); ++i) {
        scratch[i] = from[i].load(std::memory_order_acquire);
      }
      if (request.load(std::memory_order_relaxed) == kRequested) {
        add_stored_reading(scratch, bucket_count_, reading);
        return;
      }
    } else if (read_live(scratch)) {
      // kPublishing: the writer is outside any observation until it stores kIdle, and copies
      // a state no older than this one.
      add_stored_reading(scratch, bucket_count_, reading);
      return;
    }
    cpu_relax();
  }
}

void HistogramShard::after_fork_in_child() const noexcept {
  // The bucket is incremented after the odd sequence and before the sum, so the live buckets
  // hold the completed observations plus at most the one in flight.
  std::uint64_t in_buckets = 0;
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    in_buckets += words_[kLiveFirstBucket + i].load(std::memory_order_relaxed);
  }
  words_[kSequence].store(2 * in_buckets, std::memory_order_relaxed);
  // A publication the writer left half done: the live state, now at rest, replaces it, copied
  // as the writer answers a request (which leaves the request word idle).
  words_[kRequest].store(kRequested, std::memory_order_relaxed);
  publish(words_, bucket_count_);
}

}  // namespace bentoml::metrics::detail
