#pragma once
// Builds IPv4/IPv6 TCP packets for decoder and adapter tests (checksums left zero).
#include <cstdint>
#include <string>

#include "core/ip_address.h"

namespace ftpgate::testing {

inline std::string build_tcp_packet(const IpAddress& src, const IpAddress& dst, uint16_t sport,
                                    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                                    const std::string& payload) {
  std::string tcp(20, '\0');
  auto put16 = [](std::string& s, size_t at, uint16_t v) {
    s[at] = static_cast<char>(v >> 8);
    s[at + 1] = static_cast<char>(v);
  };
  auto put32 = [&](std::string& s, size_t at, uint32_t v) {
    put16(s, at, static_cast<uint16_t>(v >> 16));
    put16(s, at + 2, static_cast<uint16_t>(v));
  };
  put16(tcp, 0, sport);
  put16(tcp, 2, dport);
  put32(tcp, 4, seq);
  put32(tcp, 8, ack);
  tcp[12] = 0x50;
  tcp[13] = static_cast<char>(flags);
  put16(tcp, 14, 65535);
  std::string ip;
  if (src.is_v4()) {
    ip.assign(20, '\0');
    ip[0] = 0x45;
    put16(ip, 2, static_cast<uint16_t>(20 + tcp.size() + payload.size()));
    ip[8] = 64;
    ip[9] = 6;
    ip.replace(12, 4, reinterpret_cast<const char*>(src.bytes()), 4);
    ip.replace(16, 4, reinterpret_cast<const char*>(dst.bytes()), 4);
  } else {
    ip.assign(40, '\0');
    ip[0] = 0x60;
    put16(ip, 4, static_cast<uint16_t>(tcp.size() + payload.size()));
    ip[6] = 6;
    ip[7] = 64;
    ip.replace(8, 16, reinterpret_cast<const char*>(src.bytes()), 16);
    ip.replace(24, 16, reinterpret_cast<const char*>(dst.bytes()), 16);
  }
  return ip + tcp + payload;
}

}  // namespace ftpgate::testing
