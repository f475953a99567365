// Keys of the multiprocess files: see json_key.hpp.
#include "multiprocess/json_key.hpp"

#include <algorithm>
#include <cstdint>

#include "storage/names.hpp"  // decode_utf8

namespace bentoml::metrics::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t unit) {
  const char escape[6] = {'\\',
                          'u',
                          kHex[(unit >> 12) & 0xF],
                          kHex[(unit >> 8) & 0xF],
                          kHex[(unit >> 4) & 0xF],
                          kHex[unit & 0xF]};
  out.append(escape, sizeof escape);
}

void append_utf8(std::string& out, std::uint32_t point) {
  if (point < 0x80) {
    out += static_cast<char>(point);
  } else if (point < 0x800) {
    out += static_cast<char>(0xC0 | (point >> 6));
    out += static_cast<char>(0x80 | (point & 0x3F));
  } else if (point < 0x10000) {
    out += static_cast<char>(0xE0 | (point >> 12));
    out += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (point >> 18));
    out += static_cast<char>(0x80 | ((point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (point & 0x3F));
  }
}

/// A cursor over a key, for the small grammar of parse_key.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  /// Consumes `c` (after white space) if it is next.
  bool take(char c) {
    skip_space();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  [[nodiscard]] bool at_end() {
    skip_space();
    return at_ == text_.size();
  }

  /// Reads a JSON string into `out` (UTF-8).
  bool string(std::string& out) {
    out.clear();
    if (!take('"')) return false;
    for (;;) {
      // Copy the run up to the next quote or backslash at once (most keys have no escape).
      const std::size_t start = at_;
      while (at_ < text_.size() && text_[at_] != '"' && text_[at_] != '\\') {
        if (static_cast<unsigned char>(text_[at_]) < 0x20) return false;  // raw control char
        ++at_;
      }
      out.append(text_.data() + start, at_ - start);
      if (at_ == text_.size()) return false;
      if (text_[at_++] == '"') return true;
      if (at_ == text_.size()) return false;
      const char escape = text_[at_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t unit = 0;
          if (!hex4(unit)) return false;
          if (unit >= 0xD800 && unit <= 0xDBFF && at_ + 1 < text_.size() && text_[at_] == '\\' &&
              text_[at_ + 1] == 'u') {
            const std::size_t before = at_;
            at_ += 2;
            std::uint32_t low = 0;
            if (hex4(low) && low >= 0xDC00 && low <= 0xDFFF) {
              append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
              break;
            }
            at_ = before;  // not a pair: the high surrogate stands alone
          }
          append_utf8(out, unit >= 0xD800 && unit <= 0xDFFF ? 0xFFFD : unit);
          break;
        }
        default:
          return false;
      }
    }
  }

 private:
  bool hex4(std::uint32_t& unit) {
    if (text_.size() - at_ < 4) return false;
    unit = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[at_++];
      std::uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      unit = (unit << 4) | digit;
    }
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

bool append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {  // the common case: as is
      std::size_t end = i + 1;
      while (end < text.size()) {
        const auto next = static_cast<unsigned char>(text[end]);
        if (next < 0x20 || next >= 0x7F || next == '"' || next == '\\') break;
        ++end;
      }
      out.append(text.data() + i, end - i);
      i = end;
      continue;
    }
    std::uint32_t point = 0;
    const std::size_t length = decode_utf8(text, i, point);
    if (length == 0) return false;
    i += length;
    switch (point) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (point < 0x10000) {
          append_u_escape(out, point);
        } else {
          const std::uint32_t offset = point - 0x10000;
          append_u_escape(out, 0xD800 | (offset >> 10));
          append_u_escape(out, 0xDC00 | (offset & 0x3FF));
        }
    }
  }
  out += '"';
  return true;
}

bool parse_key(std::string_view json, ParsedKey& out) {
  Reader reader(json);
  out.labels.clear();
  if (!reader.take('[') || !reader.string(out.metric) || !reader.take(',') ||
      !reader.string(out.sample) || !reader.take(',') || !reader.take('{')) {
    return false;
  }
  if (!reader.take('}')) {
    do {
      KeyLabel label;
      if (!reader.string(label.name) || !reader.take(':') || !reader.string(label.value)) {
        return false;
      }
      out.labels.push_back(std::move(label));
    } while (reader.take(','));
    if (!reader.take('}')) return false;
  }
  if (reader.take(',')) {
    if (!reader.string(out.help)) return false;
  } else {
    out.help = "Multiprocess metric";  // prometheus_client before 0.16: no help text in keys
  }
  if (!reader.take(']') || !reader.at_end()) return false;
  // Written sorted; a name given twice keeps its last value, as Python's json.loads does.
  std::stable_sort(out.labels.begin(), out.labels.end(),
                   [](const KeyLabel& a, const KeyLabel& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < out.labels.size();) {
    if (out.labels[i].name == out.labels[i - 1].name) {
      out.labels.erase(out.labels.begin() + static_cast<std::ptrdiff_t>(i) - 1);
    } else {
      ++i;
    }
  }
  return true;
}

}  // namespace bentoml::metrics::detail
