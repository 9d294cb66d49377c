#pragma once
// ftpgate's version (CMake's project version): `ftpgate --version`, the start log line,
// the `ftpgate_build_info` metric.
#include <string_view>

namespace ftpgate {
inline constexpr std::string_view kVersion = FTPGATE_VERSION;
}  // namespace ftpgate
