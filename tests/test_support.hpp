// Helpers shared by the unit and concurrency tests: the common fixture, expected errors, and
// reading exposition text back.
//
// `parse_exposition` is a small, strict parser of text 0.0.4 and OpenMetrics 1.0.0 written for the
// tests (independent of the library's writer): every line must be a known comment or a
// well-formed sample of the family its `# TYPE` line announced, or the parse reports an error.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics.hpp"

namespace bentoml::metrics::testing {

/// The value of the sample line that starts with `series` followed by a space; NaN-free tests
/// use it. Returns -1 when absent.
inline double sample_value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return -1;
}

/// Whether `text` has a line equal to `line`.
inline bool has_line(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  std::string current;
  while (std::getline(lines, current)) {
    if (current == line) return true;
  }
  return false;
}

/// How many lines of `text` start with `prefix`.
inline int lines_starting_with(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  std::string current;
  int count = 0;
  while (std::getline(lines, current)) count += current.compare(0, prefix.size(), prefix) == 0;
  return count;
}

/// The metrics::Error message of `call`, or "no exception".
template <class Call>
std::string error_of(Call call) {
  try {
    call();
  } catch (const metrics::Error& error) {
    return error.what();
  }
  return "no exception";
}

/// Whether `what` (an exception message) contains `part`.
inline bool contains(const std::string& what, const std::string& part) {
  return what.find(part) != std::string::npos;
}

/// Tests that read `_created` series switch them on, whatever another test left.
inline void enable_created_series() { metrics::enable_created_metrics(); }

/// The fixture of most tests: a registry of their own, `_created` series on.
class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { enable_created_series(); }
  metrics::Registry registry;
};

/// The metrics::Error message of constructing a `Metric` from `options`, or "no exception".
template <class Metric>
std::string construction_error(const typename Metric::Options& options) {
  return error_of([&options] { Metric metric(options); });
}

inline constexpr double kInf = std::numeric_limits<double>::infinity();

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string family;  ///< the name on the family's `# TYPE` line
  std::string name;    ///< the sample's own name (`h_bucket`, `c_total`, ...)
  Labels labels;       ///< unescaped
  std::string value_text;
  double value = 0;
  bool has_exemplar = false;
  Labels exemplar_labels;
  double exemplar_value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  ///< family name -> type
  std::string error;                         ///< empty when every line parsed
  bool eof = false;                          ///< OpenMetrics `# EOF` seen (last line)

  /// The samples named `name` whose labels equal `labels`.
  [[nodiscard]] std::vector<const Sample*> find(const std::string& name,
                                                const Labels& labels = {}) const {
    std::vector<const Sample*> found;
    for (const Sample& sample : samples) {
      if (sample.name == name && sample.labels == labels) found.push_back(&sample);
    }
    return found;
  }
  /// The value of the one sample `name{labels}`; NaN-free callers get -1 when it is absent.
  [[nodiscard]] double value(const std::string& name, const Labels& labels = {}) const {
    const auto found = find(name, labels);
    return found.size() == 1 ? found.front()->value : -1;
  }
};

namespace parse_detail {

inline bool name_char(char c, bool first, bool colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  const bool digit = c >= '0' && c <= '9';
  return letter || (!first && digit) || (colon && c == ':');
}

/// Reads a name at `at`; empty if none.
inline std::string read_name(const std::string& line, std::size_t& at, bool colon) {
  const std::size_t begin = at;
  while (at < line.size() && name_char(line[at], at == begin, colon)) ++at;
  return line.substr(begin, at - begin);
}

/// Reads `{name="value",...}` at `at` (which points at '{'); false if malformed.
inline bool read_labels(const std::string& line, std::size_t& at, Labels& labels) {
  ++at;  // '{'
  if (at < line.size() && line[at] == '}') return ++at, true;
  for (;;) {
    const std::string name = read_name(line, at, false);
    if (name.empty() || line.compare(at, 2, "=\"") != 0) return false;
    at += 2;
    std::string value;
    for (;;) {
      if (at >= line.size()) return false;
      const char c = line[at++];
      if (c == '"') break;
      if (c == '\n') return false;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (at >= line.size()) return false;
      const char escaped = line[at++];
      if (escaped == 'n') {
        value += '\n';
      } else if (escaped == '\\' || escaped == '"') {
        value += escaped;
      } else {
        return false;
      }
    }
    if (!labels.emplace(name, value).second) return false;  // a label given twice
    if (at < line.size() && line[at] == ',') {
      ++at;
      continue;
    }
    if (at < line.size() && line[at] == '}') return ++at, true;
    return false;
  }
}

/// Parses a whole number token as Prometheus does (Go float syntax); false if malformed.
inline bool read_number(const std::string& token, double& value) {
  if (token == "NaN") return value = std::strtod("nan", nullptr), true;
  if (token == "+Inf") return value = HUGE_VAL, true;
  if (token == "-Inf") return value = -HUGE_VAL, true;
  if (token.empty() || token.find_first_not_of("0123456789.e+-") != std::string::npos) {
    return false;
  }
  char* end = nullptr;
  value = std::strtod(token.c_str(), &end);
  return end == token.c_str() + token.size();
}

/// The sample names a family of `type` named `family` may have.
inline bool belongs(const std::string& family, const std::string& type, const std::string& name,
                    bool openmetrics) {
  const auto is = [&](const char* suffix) { return name == family + suffix; };
  if (type == "counter") {
    return openmetrics ? is("_total") || is("_created") : is("");
  }
  if (type == "histogram") return is("_bucket") || is("_count") || is("_sum") || is("_created");
  if (type == "summary") return is("_count") || is("_sum") || is("_created") || is("");
  return is("");  // gauge (and text 0.0.4's `_created` gauges)
}

}  // namespace parse_detail

/// Parses `text` in `format`; `Exposition::error` names the first line that does not conform.
inline Exposition parse_exposition(const std::string& text, Format format = Format::text_0_0_4) {
  using namespace parse_detail;
  const bool openmetrics = format == Format::openmetrics_1_0_0;
  Exposition result;
  std::string family;
  std::string type;
  std::size_t line_start = 0;
  const auto fail = [&](const std::string& line, const char* why) {
    result.error = std::string(why) + ": '" + line + "'";
    return result;
  };
  if (!text.empty() && text.back() != '\n') return fail(text, "no final newline");
  while (line_start < text.size()) {
    const std::size_t line_end = text.find('\n', line_start);
    const std::string line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (result.eof) return fail(line, "line after # EOF");
    if (line == "# EOF" && openmetrics) {
      result.eof = true;
      continue;
    }
    if (line.compare(0, 2, "# ") == 0) {
      std::istringstream words(line.substr(2));
      std::string keyword;
      std::string name;
      std::string argument;
      words >> keyword >> name;
      if (keyword == "TYPE") {
        words >> argument;
        if (result.types.count(name) != 0) return fail(line, "family declared twice");
        if (argument != "counter" && argument != "gauge" && argument != "histogram" &&
            argument != "summary") {
          return fail(line, "unknown type");
        }
        result.types[name] = argument;
        family = name;
        type = argument;
      } else if (keyword != "HELP" && keyword != "UNIT") {
        return fail(line, "unknown comment");
      }
      continue;
    }
    Sample sample;
    std::size_t at = 0;
    sample.name = read_name(line, at, true);
    if (sample.name.empty()) return fail(line, "no metric name");
    if (at < line.size() && line[at] == '{' && !read_labels(line, at, sample.labels)) {
      return fail(line, "malformed labels");
    }
    if (at >= line.size() || line[at] != ' ') return fail(line, "no space before the value");
    const std::size_t value_end = line.find(' ', at + 1);
    sample.value_text = line.substr(at + 1, value_end - at - 1);
    if (!read_number(sample.value_text, sample.value)) return fail(line, "malformed value");
    if (value_end != std::string::npos) {
      // Only an OpenMetrics exemplar may follow: ` # {labels} value timestamp`.
      at = value_end;
      if (!openmetrics || line.compare(at, 4, " # {") != 0) return fail(line, "trailing text");
      at += 3;
      if (!read_labels(line, at, sample.exemplar_labels)) return fail(line, "bad exemplar");
      std::istringstream rest(line.substr(at));
      std::string value;
      std::string timestamp;
      double ignored = 0;
      if (!(rest >> value >> timestamp) || !read_number(value, sample.exemplar_value) ||
          !read_number(timestamp, ignored)) {
        return fail(line, "bad exemplar value");
      }
      sample.has_exemplar = true;
    }
    if (family.empty() || !belongs(family, type, sample.name, openmetrics)) {
      return fail(line, "sample outside its family");
    }
    sample.family = family;
    result.samples.push_back(std::move(sample));
  }
  if (openmetrics && !result.eof) result.error = "no # EOF";
  return result;
}

}  // namespace bentoml::metrics::testing
