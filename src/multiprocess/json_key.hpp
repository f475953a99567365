// Internal: the keys of prometheus_client's multiprocess files, written and read.
//
// A key is `json.dumps([metric_name, sample_name, {label: value, ...}, help_text],
// sort_keys=True)`: Python's separators (", " and ": "), label names sorted by code point, and
// every character outside printable ASCII escaped as Python's default `ensure_ascii` does
// (`\n`, `\"`, `\\`, `\b`, `\f`, `\r`, `\t`, else `\u00XX`, lowercase hex, characters past U+FFFF
// as surrogate pairs). Writing it byte for byte matters: a key is a series' identity, compared
// as bytes by the writer that continues a file and by aggregators' caches.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bentoml::metrics::detail {

/// Appends `text` (UTF-8) as a JSON string literal with Python's ensure_ascii escaping; false
/// (with `out` partly written) when `text` is not valid UTF-8.
bool append_json_string(std::string& out, std::string_view text);

/// One label of a key.
struct KeyLabel {
  std::string name;
  std::string value;
};

/// A key read back. Labels are sorted by name (as written; re-sorted if a writer did not).
struct ParsedKey {
  std::string metric;
  std::string sample;
  std::vector<KeyLabel> labels;
  std::string help;
};

/// Parses a key: a JSON array of two strings, an object of strings and a string (or, as
/// prometheus_client before 0.16 wrote them, without the help text, which is then
/// "Multiprocess metric"). Escapes are decoded to UTF-8; a lone surrogate becomes U+FFFD.
/// False when `json` is anything else.
bool parse_key(std::string_view json, ParsedKey& out);

}  // namespace bentoml::metrics::detail
