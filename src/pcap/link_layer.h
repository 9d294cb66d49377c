#pragma once
// Strips the link-layer header of a captured frame, leaving the IP packet. Pure.
#include <cstdint>
#include <optional>
#include <string_view>

namespace ftpgate {

// libpcap DLT_* values this reader understands.
namespace link_type {
inline constexpr int kNull = 0;         // BSD loopback: 4-byte address family, host order
inline constexpr int kEthernet = 1;     // Ethernet II, with 802.1Q / 802.1ad tags
inline constexpr int kRaw = 12;         // DLT_RAW on Linux/most platforms
inline constexpr int kRawAlt = 14;      // DLT_RAW on OpenBSD
inline constexpr int kLoop = 108;       // OpenBSD loopback: 4-byte family, network order
inline constexpr int kLinuxSll = 113;   // Linux cooked capture v1, 16-byte header
inline constexpr int kIpv4 = 228;
inline constexpr int kIpv6 = 229;
inline constexpr int kLinuxSll2 = 276;  // Linux cooked capture v2, 20-byte header
inline constexpr int kRawLinktype = 101;  // LINKTYPE_RAW as some writers store it
}  // namespace link_type

bool link_type_supported(int dlt);

// Returns the IP packet inside the frame, or nullopt when it is not IPv4/IPv6 or is too short.
std::optional<std::string_view> strip_link_layer(int dlt, std::string_view frame);

}  // namespace ftpgate
