// Helpers shared by the unit tests: reading samples out of exposition text.
#pragma once

#include <cstdlib>
#include <sstream>
#include <string>

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

/// Whether `what` (an exception message) contains `part`.
inline bool contains(const std::string& what, const std::string& part) {
  return what.find(part) != std::string::npos;
}

}  // namespace bentoml::metrics::testing
