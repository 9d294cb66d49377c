#include "core/packet_decoder.h"

namespace ftpgate {
namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

DecodeResult fail(DecodeStatus s) {
  DecodeResult r;
  r.status = s;
  return r;
}

constexpr uint8_t kProtoTcp = 6;

// IPv6 extension headers we walk over (RFC 8200 section 4): hop-by-hop, routing, destination
// options. A fragment header (44) ends decoding: fragments are not reassembled here.
bool is_walkable_ext(uint8_t nh) { return nh == 0 || nh == 43 || nh == 60; }

}  // namespace

DecodeResult decode_ip_packet(std::string_view packet) {
  const auto* p = reinterpret_cast<const uint8_t*>(packet.data());
  const size_t n = packet.size();
  if (n < 1) return fail(DecodeStatus::kTruncated);
  DecodeResult r;
  size_t l4 = 0;
  size_t end = n;
  const uint8_t version = p[0] >> 4;
  if (version == 4) {
    // IPv4: ver/ihl, tos, total length, id, flags/frag offset, ttl, proto, csum, src, dst
    if (n < 20) return fail(DecodeStatus::kTruncated);
    const size_t ihl = size_t{p[0] & 0x0fu} * 4;
    const size_t total = be16(p + 2);
    if (ihl < 20 || total < ihl) return fail(DecodeStatus::kBadHeader);
    // total == 0 is what TSO/GSO packets carry; trust the buffer then.
    if (total != 0) {
      if (total > n) return fail(DecodeStatus::kTruncated);
      end = total;
    }
    if (ihl > end) return fail(DecodeStatus::kTruncated);
    const uint16_t frag = be16(p + 6);
    if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0) return fail(DecodeStatus::kFragment);
    if (p[9] != kProtoTcp) return fail(DecodeStatus::kNotTcp);
    r.segment.src = IpAddress::v4_bytes(p + 12);
    r.segment.dst = IpAddress::v4_bytes(p + 16);
    l4 = ihl;
  } else if (version == 6) {
    // IPv6: ver/tc/flow (4), payload length (2), next header, hop limit, src (16), dst (16)
    if (n < 40) return fail(DecodeStatus::kTruncated);
    const size_t payload_len = be16(p + 4);
    if (payload_len != 0) {
      if (40 + payload_len > n) return fail(DecodeStatus::kTruncated);
      end = 40 + payload_len;
    }
    uint8_t nh = p[6];
    l4 = 40;
    for (int hops = 0; is_walkable_ext(nh) && hops < 8; ++hops) {
      if (l4 + 8 > end) return fail(DecodeStatus::kTruncated);
      const uint8_t next = p[l4];
      l4 += (size_t{p[l4 + 1]} + 1) * 8;
      nh = next;
    }
    if (nh == 44) return fail(DecodeStatus::kFragment);
    if (nh != kProtoTcp) return fail(DecodeStatus::kNotTcp);
    r.segment.src = IpAddress::v6_bytes(p + 8);
    r.segment.dst = IpAddress::v6_bytes(p + 24);
  } else {
    return fail(DecodeStatus::kNotIp);
  }
  // TCP: sport, dport, seq, ack, data offset/flags, window, csum, urg
  if (l4 + 20 > end) return fail(DecodeStatus::kTruncated);
  const uint8_t* t = p + l4;
  const size_t doff = static_cast<size_t>(t[12] >> 4) * 4;
  if (doff < 20) return fail(DecodeStatus::kBadHeader);
  if (l4 + doff > end) return fail(DecodeStatus::kTruncated);
  r.segment.sport = be16(t);
  r.segment.dport = be16(t + 2);
  r.segment.seq = be32(t + 4);
  r.segment.ack = be32(t + 8);
  r.segment.flags = t[13];
  r.segment.payload_offset = l4 + doff;
  r.segment.payload = packet.substr(l4 + doff, end - (l4 + doff));
  r.status = DecodeStatus::kOk;
  return r;
}

}  // namespace ftpgate
