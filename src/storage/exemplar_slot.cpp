// Exemplar validation; see bentoml/metrics/detail/exemplar_slot.hpp.
#include "bentoml/metrics/detail/exemplar_slot.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "bentoml/metrics/error.hpp"
#include "storage/names.hpp"

namespace bentoml::metrics::detail {
namespace {

/// The number of code points in `text`, or -1 if it is not valid UTF-8 (overlong forms,
/// surrogates and values past U+10FFFF are invalid, as Python's strict decoder has them).
long utf8_code_points(std::string_view text) {
  long points = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t point = 0;
    if (lead < 0x80) {
      length = 1;
      point = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      point = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      point = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      point = lead & 0x07u;
    } else {
      return -1;
    }
    if (text.size() - i < length) return -1;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      point = (point << 6) | (next & 0x3Fu);
    }
    const bool overlong = (length == 3 && point < 0x800) || (length == 4 && point < 0x10000);
    if (overlong || (point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF) return -1;
    i += length;
    ++points;
  }
  return points;
}
}  // namespace

void validate_exemplar(std::string_view metric, std::initializer_list<LabelPair> labels) {
  std::size_t runes = 0;
  std::size_t bytes = 0;
  for (auto label = labels.begin(); label != labels.end(); ++label) {
    const std::string_view name = label->name();
    if (!valid_label_name(name)) {
      throw Error("metric " + quoted(metric) + ": invalid exemplar label name " + quoted(name));
    }
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') {
      throw Error("metric " + quoted(metric) + ": exemplar label name " + quoted(name) +
                  " is reserved (starts with __)");
    }
    for (auto earlier = labels.begin(); earlier != label; ++earlier) {
      if (earlier->name() == name) {
        throw Error("metric " + quoted(metric) + ": exemplar label " + quoted(name) +
                    " given twice");
      }
    }
    const long value_runes = utf8_code_points(label->value());
    if (value_runes < 0) {
      throw Error("metric " + quoted(metric) + ": exemplar label " + quoted(name) +
                  " has a value that is not valid UTF-8");
    }
    runes += name.size() + static_cast<std::size_t>(value_runes);
    bytes += kExemplarLabelOverhead + name.size() + label->value().size();
  }
  if (runes > kMaxExemplarRunes || bytes > kExemplarBytes) {
    throw Error("metric " + quoted(metric) + ": exemplar labels have " + std::to_string(runes) +
                " characters; OpenMetrics allows at most 128 (names and values together)");
  }
}

}  // namespace bentoml::metrics::detail
