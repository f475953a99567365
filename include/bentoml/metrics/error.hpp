// metrics::Error: the one exception type of this library.
//
// Thrown on the registration path (bad names, duplicate metrics, bad buckets, wrong label
// values) and by a recording call only when the caller breaks its contract (a negative counter
// increment, an oversized exemplar). The message names the metric and the fault.
#pragma once

#include <stdexcept>
#include <string>

namespace bentoml::metrics {

/// Misuse of the library: the message says which metric and what is wrong.
class Error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace bentoml::metrics
