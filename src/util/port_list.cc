#include "util/port_list.h"

#include <charconv>

namespace ftpgate {
namespace {
std::optional<uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}
}  // namespace

std::optional<std::vector<uint16_t>> parse_port_list(std::string_view text) {
  std::vector<uint16_t> out;
  if (text.empty()) return std::nullopt;
  while (true) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    const size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto p = parse_port(item);
      if (!p) return std::nullopt;
      out.push_back(*p);
    } else {
      auto lo = parse_port(item.substr(0, dash));
      auto hi = parse_port(item.substr(dash + 1));
      if (!lo || !hi || *lo > *hi) return std::nullopt;
      for (uint32_t p = *lo; p <= *hi; ++p) out.push_back(static_cast<uint16_t>(p));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace ftpgate
