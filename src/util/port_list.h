#pragma once
// "21,2121,990-992" -> {21, 2121, 990, 991, 992}. Ports 1-65535; ranges inclusive; a port
// listed twice (also through overlapping ranges) is an error, not silently one port.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ftpgate {

// The ports, or why the text is not a port list ("21 is listed twice").
struct PortListParse {
  std::optional<std::vector<uint16_t>> ports;
  std::string error;
};
PortListParse parse_port_list(std::string_view text);

}  // namespace ftpgate
