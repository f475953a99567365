// Internal: appends one exposition format into a string, for the families to drive.
//
// The families decide what samples exist (write() in family_write.cpp); this class decides how
// each line looks in text 0.0.4 or OpenMetrics 1.0.0, as prometheus_client writes them: labels
// sorted by name, HELP escaped, numbers via number_format.hpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/exposition.hpp"

namespace bentoml::metrics::detail {

class ExpositionWriter {
 public:
  ExpositionWriter(std::string& out, Format format);

  [[nodiscard]] bool openmetrics() const noexcept { return format_ == Format::openmetrics_1_0_0; }
  /// Whether `_created` samples are written (PROMETHEUS_DISABLE_CREATED_SERIES unset or false).
  [[nodiscard]] bool created_series() const noexcept { return created_series_; }

  /// `# HELP`, `# TYPE` (and `# UNIT` in OpenMetrics) for `name` of `type`. The samples that
  /// follow belong to `identity` (its label names label them).
  void header(std::string_view name, const FamilyIdentity& identity, std::string_view type);
  /// The same header from plain parts (a collector's family); no samples of a child follow.
  void header(std::string_view name, std::string_view documentation, std::string_view type,
              std::string_view unit);

  /// `<name><suffix>{labels} value`: the child's labels, sorted by name.
  void sample(std::string_view name, std::string_view suffix, const ChildHeader& child,
              double value);
  /// A counter's `_total` line: `whole` + `rest` (the fraction) when `exact`, else `rest` alone
  /// is the whole value as a double (integer parts past 2^64).
  void counter_sample(std::string_view name, const ChildHeader& child, bool exact,
                      std::uint64_t whole, double rest, const ExemplarReading* exemplar);
  /// `<name>_bucket{labels} cumulative` with `le` (its formatted bound, see le_value) among the
  /// child's labels in sorted order, and the bucket's exemplar in OpenMetrics when not null.
  void bucket_sample(std::string_view name, const ChildHeader& child, std::string_view le,
                     std::uint64_t cumulative, const ExemplarReading* exemplar);
  /// A summary's `<name>{labels,quantile="<quantile>"} value` (`quantile` already formatted;
  /// the summary's identity places it among the labels as a histogram's places `le`).
  void quantile_sample(std::string_view name, const ChildHeader& child, std::string_view quantile,
                       double value);
  /// `<name>{labels} value` with `labels` (name, value) already sorted by name: a collector's
  /// sample.
  void labelled_sample(std::string_view name,
                       const std::pair<std::string_view, std::string_view>* labels,
                       std::size_t count, double value);
  /// `<name>{<before>,<extra_name>="<extra_value>",<after>} value` for samples that belong to no
  /// child (the multiprocess aggregate): `before` and `after` are rendered label lists (see
  /// append_rendered_label), the extra label (`le`, `pid`) is left out when `extra_name` is empty.
  void rendered_sample(std::string_view name, std::string_view before, std::string_view extra_name,
                       std::string_view extra_value, std::string_view after, double value);
  void finish();

 private:
  /// Renders `child`'s labels, sorted and escaped, split where `le` goes; reused for every line
  /// of the same child (a histogram writes ~28 lines per child).
  void render_labels(const ChildHeader& child);
  void exemplar(const ExemplarReading& reading);
  /// Writes `<name><suffix>{labels} <write_value(at)>` (the child's labels sorted by name, with
  /// `<extra_name>="<le>"` in its sorted place unless `le` is empty), then the exemplar of
  /// `reading` in OpenMetrics when not null, then the newline. `write_value` writes at most
  /// kMaxNumberChars.
  template <class WriteValue>
  void child_line(std::string_view name, std::string_view suffix, const ChildHeader& child,
                  std::string_view le, std::string_view extra_name, WriteValue write_value,
                  const ExemplarReading* reading = nullptr);
  /// The line itself: `<name><suffix>{<before>,<extra_name>="<extra_value>",<after>}` (the
  /// extra label left out when `extra_name` is empty; label lists already rendered and
  /// escaped) and the value, exemplar and newline as child_line() describes.
  template <class WriteValue>
  void line(std::string_view name, std::string_view suffix, std::string_view before,
            std::string_view extra_name, std::string_view extra_value, std::string_view after,
            WriteValue write_value, const ExemplarReading* reading);

  std::string& out_;
  const FamilyIdentity* identity_ = nullptr;
  const ChildHeader* rendered_child_ = nullptr;
  const FamilyIdentity* rendered_identity_ = nullptr;
  std::string labels_;          ///< the rendered labels of rendered_child_ (a buffer)
  std::string_view before_le_;  ///< in labels_: rendered labels whose names sort before "le"
  std::string_view after_le_;   ///< in labels_: the others
  std::string long_line_;       ///< where a line too long for the stack buffer is built
  Format format_;
  bool created_series_;
};

/// Appends `name="value"` with the value escaped as in every sample line (after a `,` when
/// `out` is not empty): the pieces rendered_sample() takes.
void append_rendered_label(std::string& out, std::string_view name, std::string_view value);

/// Formats a bucket bound as the `le` label value (`0.005`, `10.0`, `1e+06`, `+Inf`).
std::string le_value(double bound);

}  // namespace bentoml::metrics::detail
