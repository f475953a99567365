// Shared by the fuzz targets: an independent reader of exposition lines (not the library's code),
// so that a target can check what it wrote without trusting the writer.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fuzz {

/// Stops the fuzzer with a message: libFuzzer saves the input that got here.
[[noreturn]] inline void fail(const std::string& what, std::string_view context = {}) {
  std::fprintf(stderr, "FUZZ CHECK FAILED: %s\n--- context ---\n%.*s\n---\n", what.c_str(),
               static_cast<int>(context.size()), context.data());
  std::abort();
}

inline bool metric_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

/// Prometheus' metric name grammar: [a-zA-Z_:][a-zA-Z0-9_:]*.
inline bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!metric_name_char(name[i], i == 0)) return false;
  }
  return true;
}

/// Prometheus' label name grammar: [a-zA-Z_][a-zA-Z0-9_]*.
inline bool valid_label_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == ':' || !metric_name_char(name[i], i == 0)) return false;
  }
  return true;
}

/// UTF-8 as Python's strict decoder takes it (RFC 3629: no overlong forms, no surrogates).
inline bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) length = 2;
    else if (c == 0xE0) { length = 3; low = 0xA0; }
    else if (c == 0xED) { length = 3; high = 0x9F; }
    else if (c >= 0xE1 && c <= 0xEF) length = 3;
    else if (c == 0xF0) { length = 4; low = 0x90; }
    else if (c == 0xF4) { length = 4; high = 0x8F; }
    else if (c >= 0xF1 && c <= 0xF3) length = 4;
    else return false;
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if (k == 1 ? (next < low || next > high) : (next & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string rest;  ///< after the label block: " value [timestamp] [# exemplar]"
};

/// Reads `{name="value",...}` at `text[pos]` (pos at '{'); values unescaped (\\ \" \n).
/// Returns the position after '}', or nullopt when the block is malformed.
inline std::optional<std::size_t> read_labels(
    std::string_view text, std::size_t pos,
    std::vector<std::pair<std::string, std::string>>& labels) {
  if (pos >= text.size() || text[pos] != '{') return std::nullopt;
  ++pos;
  if (pos < text.size() && text[pos] == '}') return pos + 1;
  while (true) {
    std::size_t start = pos;
    while (pos < text.size() && text[pos] != '=') ++pos;
    if (pos >= text.size()) return std::nullopt;
    std::string name(text.substr(start, pos - start));
    if (!valid_label_name(name)) return std::nullopt;
    ++pos;
    if (pos >= text.size() || text[pos] != '"') return std::nullopt;
    ++pos;
    std::string value;
    while (true) {
      if (pos >= text.size()) return std::nullopt;
      const char c = text[pos++];
      if (c == '"') break;
      if (c == '\n') return std::nullopt;
      if (c == '\\') {
        if (pos >= text.size()) return std::nullopt;
        const char e = text[pos++];
        if (e == '\\') value += '\\';
        else if (e == '"') value += '"';
        else if (e == 'n') value += '\n';
        else return std::nullopt;
      } else {
        value += c;
      }
    }
    labels.emplace_back(std::move(name), std::move(value));
    if (pos >= text.size()) return std::nullopt;
    if (text[pos] == '}') return pos + 1;
    if (text[pos] != ',') return std::nullopt;
    ++pos;
  }
}

/// Every sample line of an exposition; fails on a line that is neither a comment nor a sample.
inline std::vector<Sample> read_samples(std::string_view text) {
  std::vector<Sample> samples;
  if (!text.empty() && text.back() != '\n') fail("exposition does not end with a newline", text);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) fail("empty line in the exposition", text);
    if (line[0] == '#') continue;
    Sample sample;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample.name = std::string(line.substr(0, i));
    if (!valid_metric_name(sample.name)) fail("bad sample name: " + sample.name, text);
    if (i < line.size() && line[i] == '{') {
      const auto after = read_labels(line, i, sample.labels);
      if (!after) fail("malformed label block", line);
      i = *after;
    }
    if (i >= line.size() || line[i] != ' ') fail("no value after the sample name", line);
    sample.rest = std::string(line.substr(i));
    samples.push_back(std::move(sample));
  }
  return samples;
}

inline std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

}  // namespace fuzz
