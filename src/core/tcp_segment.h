#pragma once
// A TCP segment as the engine needs it: addresses, ports, sequence numbers, flags and payload.
#include <cstdint>
#include <string_view>

#include "core/ip_address.h"

namespace ftpgate {

namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
}  // namespace tcp_flags

struct TcpSegment {
  IpAddress src;
  IpAddress dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  std::string_view payload;  // TCP payload, points into the caller's packet buffer
  // Where the payload starts inside the decoded packet (for rewriting in place).
  size_t payload_offset = 0;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
};

}  // namespace ftpgate
