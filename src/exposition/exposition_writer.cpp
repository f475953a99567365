// Line formats of text 0.0.4 and OpenMetrics 1.0.0; see exposition_writer.hpp.
#include "exposition_writer.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/label_escaping.hpp"
#include "number_format.hpp"

namespace bentoml::metrics::detail {
namespace {

bool environment_enables_created_series() {
  // As prometheus_client: PROMETHEUS_DISABLE_CREATED_SERIES in (true, 1, t), any case, disables.
  const char* setting = std::getenv("PROMETHEUS_DISABLE_CREATED_SERIES");
  if (setting == nullptr) return true;
  std::string lowered(setting);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !(lowered == "true" || lowered == "1" || lowered == "t");
}

/// -1 until the environment has been read; then 0 (off) or 1 (on). Constant-initialized, so it
/// is valid even for a scrape made by another static object's constructor.
std::atomic<int> created_series_state{-1};

int created_series_now() noexcept {
  int state = created_series_state.load(std::memory_order_acquire);
  if (state < 0) {
    const int from_environment = environment_enables_created_series() ? 1 : 0;
    // Only the first reading counts; an explicit switch made meanwhile wins.
    created_series_state.compare_exchange_strong(state, from_environment,
                                                 std::memory_order_acq_rel);
    state = created_series_state.load(std::memory_order_acquire);
  }
  return state;
}

/// Reads the environment while the library is loaded, before threads could call setenv().
[[maybe_unused]] const int created_series_at_load = created_series_now();

void append_escaped_help(std::string& out, std::string_view help, bool escape_quotes) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

/// Writes `value` escaped (backslash, double quote, newline) at `at`, which has room for twice
/// its bytes; returns the end.
char* write_escaped(char* at, std::string_view value) noexcept {
  for (const char c : value) {
    if (is_escaped_byte(c)) {
      *at++ = '\\';
      *at++ = c == '\n' ? 'n' : c;
    } else {
      *at++ = c;
    }
  }
  return at;
}

void append_escaped_value(std::string& out, std::string_view value) {
  if (!needs_escaping(value)) {  // nearly every value: eight bytes a step, one append
    out.append(value.data(), value.size());
    return;
  }
  const std::size_t start = out.size();
  out.resize(start + 2 * value.size());
  out.resize(static_cast<std::size_t>(write_escaped(out.data() + start, value) - out.data()));
}

/// Lines up to this long are built on the stack and appended once (nearly every line).
constexpr std::size_t kLineBytes = 512;

}  // namespace

template <class WriteValue>
BENTOML_METRICS_ALWAYS_INLINE void ExpositionWriter::line(
    std::string_view name, std::string_view suffix, std::string_view before,
    std::string_view extra_name, std::string_view extra_value, std::string_view after,
    WriteValue write_value, const ExemplarReading* reading) {
  // Built in a stack buffer (a heap one for very long labels) and appended once: a line was
  // about ten appends of a few bytes each.
  const std::size_t most = name.size() + suffix.size() + before.size() + after.size() +
                           extra_name.size() + extra_value.size() + 8 /* {,="",} */ +
                           kMaxNumberChars + 2;
  char stack[kLineBytes];
  if (most > kLineBytes) long_line_.resize(most);
  char* const text = most > kLineBytes ? long_line_.data() : stack;
  char* at = write_text(text, name);
  at = write_text(at, suffix);
  if (!before.empty() || !after.empty() || !extra_name.empty()) {
    *at++ = '{';
    at = write_text(at, before);
    if (!extra_name.empty()) {
      if (!before.empty()) *at++ = ',';
      at = write_text(at, extra_name);
      at = write_text(at, "=\"");
      at = write_text(at, extra_value);
      *at++ = '"';
      if (!after.empty()) *at++ = ',';
    } else if (!before.empty() && !after.empty()) {
      *at++ = ',';
    }
    at = write_text(at, after);
    *at++ = '}';
  }
  *at++ = ' ';
  at = write_value(at);
  if (reading == nullptr || !openmetrics()) {
    *at++ = '\n';
    out_.append(text, static_cast<std::size_t>(at - text));
    return;
  }
  out_.append(text, static_cast<std::size_t>(at - text));
  exemplar(*reading);
  out_ += '\n';
}

template <class WriteValue>
void ExpositionWriter::child_line(std::string_view name, std::string_view suffix,
                                  const ChildHeader& child, std::string_view le,
                                  std::string_view extra_name, WriteValue write_value,
                                  const ExemplarReading* reading) {
  // Labels sorted by name as prometheus_client writes them, `le` (a summary's `quantile`) in
  // its sorted place.
  render_labels(child);
  line(name, suffix, before_le_, le.empty() ? std::string_view{} : extra_name, le, after_le_,
       write_value, reading);
}

std::string le_value(double bound) {
  std::string text;
  append_go_float(text, bound);
  return text;
}

ExpositionWriter::ExpositionWriter(std::string& out, Format format)
    : out_(out), format_(format), created_series_(created_series_now() > 0) {}

void ExpositionWriter::header(std::string_view name, const FamilyIdentity& identity,
                              std::string_view type) {
  header(name, identity.documentation, type, identity.unit);
  identity_ = &identity;
}

void ExpositionWriter::header(std::string_view name, std::string_view documentation,
                              std::string_view type, std::string_view unit) {
  identity_ = nullptr;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped_help(out_, documentation, openmetrics());
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
  if (openmetrics() && !unit.empty()) {
    out_ += "# UNIT ";
    out_ += name;
    out_ += ' ';
    out_ += unit;
    out_ += '\n';
  }
}

void ExpositionWriter::render_labels(const ChildHeader& child) {
  if (&child == rendered_child_ && identity_ == rendered_identity_) return;
  rendered_child_ = &child;
  rendered_identity_ = identity_;
  const std::vector<std::string>& names = identity_->labelnames;
  const LabelBlock block = child.label_block();
  // Whether a value has a byte to escape was noted when the child was made: nearly never.
  const bool escapes = block.has_escapes();
  std::size_t most = 0;  // name="value", with a comma, every byte of the value escaped
  for (std::size_t i = 0; i < names.size(); ++i) {
    most +=
        names[i].size() + 4 + (escapes ? 2 : 1) * block.value(static_cast<std::uint32_t>(i)).size();
  }
  if (labels_.size() < most) labels_.resize(std::max(most, 2 * labels_.size()));
  char* const start = labels_.data();
  char* at = start;
  char* split = start;  // where the labels that sort after "le" begin
  const std::size_t before_le = identity_->labels_before_le;
  for (std::size_t position = 0; position < names.size(); ++position) {
    if (position == before_le) split = at;
    if (at != split) *at++ = ',';  // not the first label of its part
    const std::uint32_t index = identity_->sorted_labels[position];
    at = write_text(at, names[index]);
    *at++ = '=';
    *at++ = '"';
    const std::string_view value = block.value(index);
    at = escapes ? write_escaped(at, value) : write_text(at, value);
    *at++ = '"';
  }
  if (before_le >= names.size()) split = at;
  before_le_ = std::string_view(start, static_cast<std::size_t>(split - start));
  after_le_ = std::string_view(split, static_cast<std::size_t>(at - split));
}

void ExpositionWriter::sample(std::string_view name, std::string_view suffix,
                              const ChildHeader& child, double value) {
  child_line(name, suffix, child, {}, {}, [value](char* at) { return write_go_float(at, value); });
}

void ExpositionWriter::quantile_sample(std::string_view name, const ChildHeader& child,
                                       std::string_view quantile, double value) {
  child_line(name, {}, child, quantile, "quantile",
             [value](char* at) { return write_go_float(at, value); });
}

void ExpositionWriter::labelled_sample(std::string_view name,
                                       const std::pair<std::string_view, std::string_view>* labels,
                                       std::size_t count, double value) {
  out_ += name;
  if (count > 0) {
    out_ += '{';
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      append_escaped_value(out_, labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  append_go_float(out_, value);
  out_ += '\n';
}

void ExpositionWriter::counter_sample(std::string_view name, const ChildHeader& child, bool exact,
                                      std::uint64_t whole, double rest,
                                      const ExemplarReading* reading) {
  child_line(
      name, "_total", child, {}, {},
      [&](char* at) {
        // Past 2^64 (not exact): the value as a double, as Python has it.
        return exact ? write_counter_value(at, whole, rest) : write_go_float(at, rest);
      },
      reading);
}

void ExpositionWriter::bucket_sample(std::string_view name, const ChildHeader& child,
                                     std::string_view le, std::uint64_t cumulative,
                                     const ExemplarReading* reading) {
  child_line(
      name, "_bucket", child, le, "le",
      [cumulative](char* at) { return write_counter_value(at, cumulative, 0); }, reading);
}

void ExpositionWriter::rendered_sample(std::string_view name, std::string_view before,
                                       std::string_view extra_name, std::string_view extra_value,
                                       std::string_view after, double value) {
  std::string escaped;  // allocated only for a value that has bytes to escape
  if (needs_escaping(extra_value)) {
    append_escaped_value(escaped, extra_value);
    extra_value = escaped;
  }
  line(
      name, {}, before, extra_name, extra_value, after,
      [value](char* at) { return write_go_float(at, value); }, nullptr);
}

void append_rendered_label(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty()) out += ',';
  out += name;
  out += "=\"";
  append_escaped_value(out, value);
  out += '"';
}

void ExpositionWriter::exemplar(const ExemplarReading& reading) {
  // Written sorted by name, as prometheus_client does (names are unique: validate_exemplar).
  std::string_view pairs[2 * kMaxExemplarRunes];
  std::size_t count = 0;
  for_each_exemplar_label(reading, [&](std::string_view name, std::string_view value) {
    if (count + 1 >= std::size(pairs)) return;
    pairs[count++] = name;
    pairs[count++] = value;
  });
  std::size_t order[kMaxExemplarRunes];
  for (std::size_t i = 0; i < count / 2; ++i) order[i] = i;
  std::sort(order, order + count / 2,
            [&pairs](std::size_t a, std::size_t b) { return pairs[2 * a] < pairs[2 * b]; });
  out_ += " # {";
  for (std::size_t i = 0; i < count / 2; ++i) {
    if (i > 0) out_ += ',';
    out_ += pairs[2 * order[i]];
    out_ += "=\"";
    append_escaped_value(out_, pairs[2 * order[i] + 1]);
    out_ += '"';
  }
  out_ += "} ";
  append_go_float(out_, reading.value);
  out_ += ' ';
  append_python_repr(out_, reading.timestamp);
}

void ExpositionWriter::finish() {
  if (openmetrics()) out_ += "# EOF\n";
}

}  // namespace bentoml::metrics::detail

namespace bentoml::metrics {

void disable_created_metrics() noexcept {
  detail::created_series_state.store(0, std::memory_order_release);
}
void enable_created_metrics() noexcept {
  detail::created_series_state.store(1, std::memory_order_release);
}
bool created_metrics_enabled() noexcept { return detail::created_series_now() > 0; }

}  // namespace bentoml::metrics
