#include "core/packet_decoder.h"

#include <gtest/gtest.h>

#include "packet_builder.h"

namespace ftpgate {
namespace {

using testing::build_tcp_packet;

TEST(PacketDecoder, Ipv4Tcp) {
  const std::string p = build_tcp_packet(*IpAddress::parse("10.0.1.2"), *IpAddress::parse("10.0.2.2"),
                                         40000, 21, 123, 456, tcp_flags::kAck, "PORT x\r\n");
  const DecodeResult r = decode_ip_packet(p);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.segment.src.to_string(), "10.0.1.2");
  EXPECT_EQ(r.segment.dst.to_string(), "10.0.2.2");
  EXPECT_EQ(r.segment.sport, 40000);
  EXPECT_EQ(r.segment.dport, 21);
  EXPECT_EQ(r.segment.seq, 123u);
  EXPECT_EQ(r.segment.ack, 456u);
  EXPECT_EQ(r.segment.payload, "PORT x\r\n");
  EXPECT_EQ(r.segment.payload_offset, 40u);
}

TEST(PacketDecoder, Ipv6Tcp) {
  const std::string p = build_tcp_packet(*IpAddress::parse("2001:db8::1"),
                                         *IpAddress::parse("2001:db8::2"), 40000, 21, 1, 2,
                                         tcp_flags::kSyn, "");
  const DecodeResult r = decode_ip_packet(p);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.segment.src.to_string(), "2001:db8::1");
  EXPECT_TRUE(r.segment.has(tcp_flags::kSyn));
  EXPECT_TRUE(r.segment.payload.empty());
}

TEST(PacketDecoder, EthernetPaddingIsNotPayload) {
  std::string p = build_tcp_packet(*IpAddress::parse("10.0.1.2"), *IpAddress::parse("10.0.2.2"), 1,
                                   21, 0, 0, tcp_flags::kAck, "");
  p.append(6, '\0');  // minimum frame padding after the IP packet
  EXPECT_TRUE(decode_ip_packet(p).segment.payload.empty());
}

TEST(PacketDecoder, EveryTruncationIsRejectedNotCrashing) {
  const std::string p = build_tcp_packet(*IpAddress::parse("10.0.1.2"), *IpAddress::parse("10.0.2.2"),
                                         1, 21, 0, 0, tcp_flags::kAck, "hello");
  for (size_t n = 0; n < p.size(); ++n)
    EXPECT_NE(decode_ip_packet(std::string_view(p).substr(0, n)).status, DecodeStatus::kOk) << n;
}

TEST(PacketDecoder, NotTcpAndFragments) {
  std::string p = build_tcp_packet(*IpAddress::parse("10.0.1.2"), *IpAddress::parse("10.0.2.2"), 1,
                                   21, 0, 0, 0, "x");
  std::string udp = p;
  udp[9] = 17;
  EXPECT_EQ(decode_ip_packet(udp).status, DecodeStatus::kNotTcp);
  std::string frag = p;
  frag[6] = 0x20;  // more fragments
  EXPECT_EQ(decode_ip_packet(frag).status, DecodeStatus::kFragment);
  std::string v5 = p;
  v5[0] = 0x55;
  EXPECT_EQ(decode_ip_packet(v5).status, DecodeStatus::kNotIp);
  std::string bad_doff = p;
  bad_doff[20 + 12] = 0x10;
  EXPECT_EQ(decode_ip_packet(bad_doff).status, DecodeStatus::kBadHeader);
}

}  // namespace
}  // namespace ftpgate
