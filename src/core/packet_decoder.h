#pragma once
// Decodes an IP packet (starting at the IPv4 or IPv6 header, as NFQUEUE delivers it and as a
// pcap record holds it after the link header) into a TcpSegment. Pure: no allocation.
#include <cstdint>
#include <string_view>

#include "core/tcp_segment.h"

namespace ftpgate {

enum class DecodeStatus : uint8_t {
  kOk,
  kTruncated,      // shorter than its headers say
  kNotIp,          // version is neither 4 nor 6
  kNotTcp,         // another transport (or an IPv6 extension chain we do not follow)
  kFragment,       // an IPv4/IPv6 fragment: not reassembled at this layer
  kBadHeader,      // header length fields inconsistent
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kBadHeader;
  TcpSegment segment;
};

DecodeResult decode_ip_packet(std::string_view packet);

}  // namespace ftpgate
