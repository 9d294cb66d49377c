#include "core/tcp_packet_writer.h"

#include <cstring>

namespace ftpgate {
namespace {

constexpr uint8_t kTcp = 6;

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// One's-complement sum of 16-bit big-endian words (an odd last byte is padded with zero).
uint32_t sum_words(const uint8_t* p, size_t n, uint32_t sum) {
  for (; n > 1; p += 2, n -= 2) sum += get16(p);
  if (n == 1) sum += static_cast<uint32_t>(p[0]) << 8;
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Where the TCP header starts, or 0 when the packet is not IPv4/IPv6 TCP.
size_t tcp_offset(const uint8_t* p, size_t n) {
  if (n < 20) return 0;
  if ((p[0] >> 4) == 4) {
    const size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
    return (ihl >= 20 && p[9] == kTcp && n >= ihl + 20) ? ihl : 0;
  }
  if ((p[0] >> 4) == 6) return (n >= 60 && p[6] == kTcp) ? 40 : 0;
  return 0;
}

// The TCP checksum over pseudo-header + segment, with the checksum field counted as stored.
uint32_t tcp_sum(const uint8_t* p, size_t tcp_at, size_t total) {
  const size_t tcp_len = total - tcp_at;
  uint32_t sum = 0;
  if ((p[0] >> 4) == 4) {
    sum = sum_words(p + 12, 8, sum);  // source and destination addresses
    sum += kTcp;
    sum += static_cast<uint32_t>(tcp_len);
  } else {
    sum = sum_words(p + 8, 32, sum);
    sum += static_cast<uint32_t>(tcp_len >> 16) + static_cast<uint32_t>(tcp_len & 0xffff);
    sum += kTcp;
  }
  return sum_words(p + tcp_at, tcp_len, sum);
}

}  // namespace

bool rebuild_tcp_packet(std::string_view packet, size_t payload_offset, uint32_t seq,
                        std::string_view payload, std::string& out, bool clear_urgent) {
  const auto* in = reinterpret_cast<const uint8_t*>(packet.data());
  const size_t tcp_at = tcp_offset(in, packet.size());
  if (tcp_at == 0 || payload_offset < tcp_at + 20 || payload_offset > packet.size()) return false;
  const size_t total = payload_offset + payload.size();
  if (total > 65535) return false;
  out.assign(packet.data(), payload_offset);
  out.append(payload);
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  if ((p[0] >> 4) == 4) {
    put16(p + 2, static_cast<uint32_t>(total));
    put16(p + 10, 0);
    put16(p + 10, fold(sum_words(p, tcp_at, 0)));
  } else {
    put16(p + 4, static_cast<uint32_t>(total - 40));
  }
  uint8_t* tcp = p + tcp_at;
  tcp[4] = static_cast<uint8_t>(seq >> 24);
  tcp[5] = static_cast<uint8_t>(seq >> 16);
  tcp[6] = static_cast<uint8_t>(seq >> 8);
  tcp[7] = static_cast<uint8_t>(seq);
  if (clear_urgent) {
    tcp[13] = static_cast<uint8_t>(tcp[13] & ~0x20);
    put16(tcp + 18, 0);
  }
  put16(tcp + 16, 0);
  put16(tcp + 16, fold(tcp_sum(p, tcp_at, total)));
  return true;
}

bool tcp_checksums_ok(std::string_view packet) {
  const auto* p = reinterpret_cast<const uint8_t*>(packet.data());
  const size_t tcp_at = tcp_offset(p, packet.size());
  if (tcp_at == 0) return false;
  if ((p[0] >> 4) == 4 && fold(sum_words(p, tcp_at, 0)) != 0) return false;
  return fold(tcp_sum(p, tcp_at, packet.size())) == 0;
}

}  // namespace ftpgate
