#include "util/json_writer.h"

#include <cinttypes>
#include <cstdio>

namespace ftpgate {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void JsonObject::key(std::string_view k) {
  if (!first_) out_ += ',';
  first_ = false;
  append_json_string(out_, k);
  out_ += ':';
}

JsonObject& JsonObject::str(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(out_, value);
  return *this;
}

JsonObject& JsonObject::num(std::string_view k, uint64_t value) {
  key(k);
  out_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::number_text(std::string_view k, std::string_view number) {
  key(k);
  out_ += number;
  return *this;
}

JsonObject& JsonObject::boolean(std::string_view k, bool value) {
  key(k);
  out_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::fixed6(std::string_view k, int64_t micros) {
  key(k);
  char buf[40];
  const char* sign = micros < 0 ? "-" : "";
  const uint64_t m = micros < 0 ? static_cast<uint64_t>(-micros) : static_cast<uint64_t>(micros);
  std::snprintf(buf, sizeof(buf), "%s%" PRIu64 ".%06" PRIu64, sign, m / 1000000, m % 1000000);
  out_ += buf;
  return *this;
}

JsonObject& JsonObject::open(std::string_view k) {
  key(k);
  out_ += '{';
  first_ = true;
  return *this;
}

JsonObject& JsonObject::end() {
  out_ += '}';
  first_ = false;
  return *this;
}

}  // namespace ftpgate
