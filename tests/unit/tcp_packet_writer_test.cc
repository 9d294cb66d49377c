// rebuild_tcp_packet: lengths, sequence number and checksums of a rewritten packet, IPv4/IPv6.
#include "core/tcp_packet_writer.h"

#include <gtest/gtest.h>

#include "core/packet_decoder.h"
#include "packet_builder.h"

namespace ftpgate {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// An independent RFC 1071 checksum, written the slow way (byte pairs, end-around carry at each
// step) to cross-check the writer's.
uint16_t rfc1071(const std::string& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    const uint32_t hi = static_cast<uint8_t>(bytes[i]);
    const uint32_t lo = i + 1 < bytes.size() ? static_cast<uint8_t>(bytes[i + 1]) : 0;
    sum += (hi << 8) | lo;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum & 0xffff);
}

std::string pseudo_v4(const std::string& pkt) {
  const size_t tcp_len = pkt.size() - 20;
  std::string p = pkt.substr(12, 8);
  p += '\0';
  p += '\6';
  p += static_cast<char>(tcp_len >> 8);
  p += static_cast<char>(tcp_len & 0xff);
  return p + pkt.substr(20);
}

TEST(TcpPacketWriter, Ipv4LengthSequenceAndChecksums) {
  const std::string in = testing::build_tcp_packet(ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21,
                                                    1000, 5000, 0x18, "PORT 198,51,100,2,195,80\r\n");
  const DecodeResult d = decode_ip_packet(in);
  ASSERT_EQ(d.status, DecodeStatus::kOk);
  std::string out;
  const std::string payload = "PORT 203,0,113,1,195,80\r\n";  // one byte shorter
  ASSERT_TRUE(rebuild_tcp_packet(in, d.segment.payload_offset, 990, payload, out));
  EXPECT_EQ(out.size(), 40 + payload.size());
  const DecodeResult r = decode_ip_packet(out);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.segment.payload, payload);
  EXPECT_EQ(r.segment.seq, 990u);
  EXPECT_EQ(r.segment.ack, 5000u);
  EXPECT_TRUE(tcp_checksums_ok(out));
  // Cross-check against the independent sum: the IP header and the pseudo-header sum to zero.
  EXPECT_EQ(rfc1071(out.substr(0, 20)), 0);
  EXPECT_EQ(rfc1071(pseudo_v4(out)), 0);
  // A flipped payload bit is caught.
  std::string bad = out;
  bad.back() ^= 1;
  EXPECT_FALSE(tcp_checksums_ok(bad));
}

TEST(TcpPacketWriter, Ipv6AndOddLengths) {
  const std::string in = testing::build_tcp_packet(ip("2001:db8:1::2"), ip("2001:db8:2::2"), 40000, 21,
                                                    7, 9, 0x18, "EPRT |2|2001:db8:1::2|50000|\r\n");
  const DecodeResult d = decode_ip_packet(in);
  ASSERT_EQ(d.status, DecodeStatus::kOk);
  for (const std::string payload : {"x", "EPRT |2|2001:db8:2::1|50000|\r\n", "EPRT |2|2001:db8:ffff::1|50000|\r\n"}) {
    std::string out;
    ASSERT_TRUE(rebuild_tcp_packet(in, d.segment.payload_offset, 7, payload, out));
    const DecodeResult r = decode_ip_packet(out);
    ASSERT_EQ(r.status, DecodeStatus::kOk) << payload;
    EXPECT_EQ(r.segment.payload, payload);
    EXPECT_TRUE(tcp_checksums_ok(out)) << payload;
    EXPECT_EQ((static_cast<uint8_t>(out[4]) << 8) | static_cast<uint8_t>(out[5]), static_cast<int>(out.size() - 40));
  }
}

TEST(TcpPacketWriter, RefusesWhatIsNotTcpOrTooLong) {
  std::string out;
  EXPECT_FALSE(rebuild_tcp_packet("not a packet", 0, 0, "x", out));
  const std::string in = testing::build_tcp_packet(ip("198.51.100.2"), ip("203.0.113.2"), 1, 21, 1, 1, 0x10, "");
  EXPECT_FALSE(rebuild_tcp_packet(in, 40, 0, std::string(65536, 'a'), out));
  EXPECT_FALSE(rebuild_tcp_packet(in, 10, 0, "x", out));  // payload offset inside the headers
}

}  // namespace
}  // namespace ftpgate
