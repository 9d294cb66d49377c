#pragma once
// "21,2121,990-992" -> {21, 2121, 990, 991, 992}. Ports 1-65535; ranges inclusive.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ftpgate {

std::optional<std::vector<uint16_t>> parse_port_list(std::string_view text);

}  // namespace ftpgate
