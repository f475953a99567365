// The Prometheus name rules, shared by metrics, Info labels, exemplars and collectors, and the
// words error messages use for them.
#include "storage/names.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace bentoml::metrics::detail {
namespace {

bool is_letter_or_underscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_letter_or_underscore(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(is_letter_or_underscore(c) || is_digit(c) || c == ':')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !is_letter_or_underscore(name[0])) return false;
  for (char c : name) {
    if (!(is_letter_or_underscore(c) || is_digit(c))) return false;
  }
  return true;
}

const char* metric_type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
    case MetricType::summary:
      return "summary";
    case MetricType::info:
      return "info";
    case MetricType::stateset:
      return "enum";
    case MetricType::custom:
      return "collector";
  }
  return "metric";
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::size_t decode_utf8(std::string_view text, std::size_t i, std::uint32_t& point) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  if (lead < 0x80) {
    point = lead;
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    point = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    point = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    point = lead & 0x07u;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    point = (point << 6) | (next & 0x3Fu);
  }
  const bool overlong = (length == 3 && point < 0x800) || (length == 4 && point < 0x10000);
  if (overlong || (point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF) return 0;
  return length;
}

long utf8_code_points(std::string_view text) {
  long points = 0;
  std::uint32_t point = 0;
  for (std::size_t i = 0; i < text.size(); ++points) {
    const std::size_t length = decode_utf8(text, i, point);
    if (length == 0) return -1;
    i += length;
  }
  return points;
}

bool valid_utf8(std::string_view text) { return utf8_code_points(text) >= 0; }

}  // namespace bentoml::metrics::detail
