#pragma once
// Rebuilds a queued IPv4 or IPv6 TCP packet with another payload (and sequence number): what a
// NAT rewrite hands back to the kernel in its NFQUEUE verdict. The kernel takes the bytes as
// they are (nfqnl_mangle marks them CHECKSUM_NONE), so every length and checksum is recomputed:
//   IPv4  total length (bytes 2-3), header checksum (10-11)        RFC 791
//   IPv6  payload length (bytes 4-5)                               RFC 8200
//   TCP   sequence number (4-7), checksum (16-17) over the pseudo-header, header and payload
//         (RFC 9293 section 3.1; IPv6 pseudo-header RFC 8200 section 8.1)
// Pure, no allocation beyond the output string.
#include <cstdint>
#include <string>
#include <string_view>

namespace ftpgate {

// `packet` starts at the IP header and holds a TCP segment whose payload starts at
// `payload_offset` (TcpSegment::payload_offset). Returns false, leaving `out` unspecified, when
// the headers are not an IPv4/IPv6 TCP packet or the result would exceed 65535 bytes.
// clear_urgent: the URG flag (byte 13, 0x20) and the urgent pointer (18-19) are cleared too.
bool rebuild_tcp_packet(std::string_view packet, size_t payload_offset, uint32_t seq,
                        std::string_view payload, std::string& out, bool clear_urgent = false);

// True when the packet's TCP checksum (and for IPv4 its header checksum) verify.
bool tcp_checksums_ok(std::string_view packet);

}  // namespace ftpgate
