#include "core/command_reading.h"

namespace ftpgate {
namespace {

constexpr unsigned char kIac = 0xFF;
// IAC WILL (251), WONT (252), DO (253), DONT (254) are followed by an option byte.
bool takes_option(unsigned char c) { return c >= 251 && c <= 254; }
bool is_white(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

std::string without_telnet(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c != kIac) {
      out.push_back(line[i]);
      continue;
    }
    if (i + 1 >= line.size()) break;  // a lone IAC at the end: dropped
    const auto cmd = static_cast<unsigned char>(line[++i]);
    if (cmd == kIac) out.push_back(line[i]);  // IAC IAC: a data byte 0xFF
    else if (takes_option(cmd)) ++i;          // and its option byte
  }
  return out;
}

}  // namespace

CommandReading lenient_reading(std::string_view line) {
  const std::string text = without_telnet(line);
  size_t i = 0;
  while (i < text.size() && is_white(text[i])) ++i;
  const size_t verb_begin = i;
  while (i < text.size() && !is_white(text[i])) ++i;
  CommandReading r;
  r.verb = text.substr(verb_begin, i - verb_begin);
  while (i < text.size() && is_white(text[i])) ++i;
  r.argument = text.substr(i);
  return r;
}

bool line_is_judgeable(std::string_view line) {
  for (char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

}  // namespace ftpgate
