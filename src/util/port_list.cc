#include "util/port_list.h"

#include <algorithm>
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

PortListParse parse_port_list(std::string_view text) {
  PortListParse out;
  auto fail = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  if (text.empty()) return fail("an empty list");
  std::vector<uint16_t> ports;
  while (true) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    const size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto p = parse_port(item);
      if (!p) return fail("'" + std::string(item) + "' is not a port (1-65535)");
      ports.push_back(*p);
    } else {
      auto lo = parse_port(item.substr(0, dash));
      auto hi = parse_port(item.substr(dash + 1));
      if (!lo || !hi || *lo > *hi) return fail("'" + std::string(item) + "' is not a range of ports (1-65535, low-high)");
      for (uint32_t p = *lo; p <= *hi; ++p) ports.push_back(static_cast<uint16_t>(p));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::vector<uint16_t> sorted = ports;
  std::sort(sorted.begin(), sorted.end());
  if (auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
    return fail(std::to_string(*twice) + " is listed twice");
  out.ports = std::move(ports);
  return out;
}

}  // namespace ftpgate
