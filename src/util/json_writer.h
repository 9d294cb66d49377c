#pragma once
// Minimal JSON text building for one-object-per-line output (replay events, JSON logs, status).
#include <cstdint>
#include <string>
#include <string_view>

namespace ftpgate {

// Appends `s` as a JSON string literal (with quotes). Bytes that are not printable ASCII are
// escaped as \u00XX so any control line, even binary or invalid UTF-8, yields valid JSON.
void append_json_string(std::string& out, std::string_view s);

class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_ += '{'; }
  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& num(std::string_view key, uint64_t value);
  JsonObject& boolean(std::string_view key, bool value);
  // A number already in JSON syntax ("0.000125"): written as it is.
  JsonObject& number_text(std::string_view key, std::string_view number);
  JsonObject& fixed6(std::string_view key, int64_t micros);  // seconds with 6 decimals
  // Opens a nested object under `key`; close it with end().
  JsonObject& open(std::string_view key);
  JsonObject& end();
  void close() { out_ += '}'; }

 private:
  void key(std::string_view k);
  std::string& out_;
  bool first_ = true;
};

}  // namespace ftpgate
