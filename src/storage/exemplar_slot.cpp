// Exemplar validation; see bentoml/metrics/detail/exemplar_slot.hpp.
#include "bentoml/metrics/detail/exemplar_slot.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "bentoml/metrics/error.hpp"
#include "storage/names.hpp"

namespace bentoml::metrics::detail {

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
