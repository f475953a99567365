// Internal: the sliding window behind a summary's quantiles: `age_buckets` rank-error streams
// reset in turn. Used under the series' mutex only (summary_quantiles.hpp).
//
// Each stream is a Greenwald-Khanna summary with one error bound, the smallest of the targets'
// (so every target's bound holds; CKMS's per-target bounds save space but their invariant can
// break under some insertion orders). Time is cut into epochs of max_age / age_buckets; stream
// `e % age_buckets` is reset when epoch `e` begins, so after moving to epoch E the oldest
// stream holds exactly the observations of epochs E - age_buckets + 1 .. E, and it answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bentoml/metrics/detail/summary_quantiles.hpp"

namespace bentoml::metrics::detail {

/// A Greenwald-Khanna quantile summary: the value it reports for rank r of n lies between the
/// exact values at ranks r - epsilon * n and r + epsilon * n.
class QuantileStream {
 public:
  explicit QuantileStream(double epsilon) : epsilon_(epsilon) {}

  void reset() noexcept {
    tuples_.clear();
    count_ = 0;
  }
  /// Inserts `count` values given in ascending order.
  void insert_sorted(const double* values, std::size_t count);
  /// The value of quantile `q` (NaN when empty).
  [[nodiscard]] double query(double q) const noexcept;
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::size_t tuple_count() const noexcept { return tuples_.size(); }

 private:
  /// A stored value: `g` is its minimum rank minus its predecessor's, `delta` the spread of its
  /// rank (max rank - min rank).
  struct Tuple {
    double value;
    std::uint64_t g;
    std::uint64_t delta;
    std::uint64_t rmin;  ///< g of this tuple and every one before it (set by compress())
  };
  /// Merges what the bound allows and sets every tuple's rmin.
  void compress();
  void merge_within(std::uint64_t threshold);

  double epsilon_;
  std::uint64_t count_ = 0;
  std::vector<Tuple> tuples_;
};

class QuantileWindow {
 public:
  explicit QuantileWindow(const QuantileSettings& settings);

  /// Takes entries (any order, any times); they reach the streams in batches of
  /// kBatch, or at the next flush().
  void add(const QuantileBuffer::Entry* entries, std::size_t count);
  /// Moves every pending entry into the streams.
  void flush();
  static constexpr std::size_t kBatch = 2048;
  /// Moves the window to the epoch of `now` (never backwards).
  void rotate_to(std::int64_t now);
  /// One value per target into `out` (the previous answers when nothing changed since).
  void query(double* out);

 private:
  [[nodiscard]] std::int64_t epoch_of(std::int64_t time) const noexcept;
  void rotate_to_epoch(std::int64_t epoch);

  const QuantileSettings& settings_;
  std::int64_t period_;  ///< nanoseconds per epoch
  bool started_ = false;
  std::int64_t epoch_ = 0;  ///< the newest epoch the streams have been rotated to
  std::vector<QuantileStream> streams_;
  std::vector<std::int64_t> reset_epoch_;  ///< stream i holds the observations of epochs >= this
  std::vector<QuantileBuffer::Entry> pending_;  ///< taken, not yet in the streams
  std::vector<double> values_;                  ///< scratch: the batch's values, sorted
  std::vector<double> selected_;                ///< scratch: those a stream takes
  std::vector<double> answers_;                 ///< the last query's values
  bool answers_valid_ = false;                  ///< no observation or rotation since
};

}  // namespace bentoml::metrics::detail
