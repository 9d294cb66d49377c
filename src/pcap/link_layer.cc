#include "pcap/link_layer.h"

namespace ftpgate {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;

uint16_t be16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

std::optional<std::string_view> by_ethertype(uint16_t type, std::string_view rest) {
  if (type == kEtherIpv4 || type == kEtherIpv6) return rest;
  return std::nullopt;
}

std::optional<std::string_view> by_version(std::string_view ip) {
  if (ip.empty()) return std::nullopt;
  const unsigned v = static_cast<unsigned char>(ip[0]) >> 4;
  if (v == 4 || v == 6) return ip;
  return std::nullopt;
}

}  // namespace

bool link_type_supported(int dlt) {
  switch (dlt) {
    case link_type::kNull: case link_type::kEthernet: case link_type::kRaw:
    case link_type::kRawAlt: case link_type::kLoop: case link_type::kLinuxSll:
    case link_type::kIpv4: case link_type::kIpv6: case link_type::kLinuxSll2:
    case link_type::kRawLinktype:
      return true;
    default:
      return false;
  }
}

std::optional<std::string_view> strip_link_layer(int dlt, std::string_view frame) {
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  switch (dlt) {
    case link_type::kEthernet: {
      // dst(6) src(6) ethertype(2), then any number of 4-byte VLAN tags (TPID, TCI)
      if (frame.size() < 14) return std::nullopt;
      size_t off = 12;
      uint16_t type = be16(p + off);
      for (int tags = 0; (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) &&
                         tags < 4; ++tags) {
        off += 4;
        if (frame.size() < off + 2) return std::nullopt;
        type = be16(p + off);
      }
      return by_ethertype(type, frame.substr(off + 2));
    }
    case link_type::kLinuxSll:
      // packet type(2) arphrd(2) addr len(2) addr(8) protocol(2)
      if (frame.size() < 16) return std::nullopt;
      return by_ethertype(be16(p + 14), frame.substr(16));
    case link_type::kLinuxSll2:
      // protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addr len(1) addr(8)
      if (frame.size() < 20) return std::nullopt;
      return by_ethertype(be16(p), frame.substr(20));
    case link_type::kNull:
    case link_type::kLoop:
      if (frame.size() < 4) return std::nullopt;
      return by_version(frame.substr(4));
    case link_type::kRaw:
    case link_type::kRawAlt:
    case link_type::kRawLinktype:
    case link_type::kIpv4:
    case link_type::kIpv6:
      return by_version(frame);
    default:
      return std::nullopt;
  }
}

}  // namespace ftpgate
