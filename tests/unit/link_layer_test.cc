#include "pcap/link_layer.h"

#include <gtest/gtest.h>

#include <string>

namespace ftpgate {
namespace {

const std::string kIp = std::string("\x45\x00", 2) + "rest-of-packet";

TEST(LinkLayer, EthernetWithAndWithoutVlan) {
  std::string eth = std::string(12, 'm') + std::string("\x08\x00", 2) + kIp;
  EXPECT_EQ(*strip_link_layer(link_type::kEthernet, eth), kIp);
  std::string vlan = std::string(12, 'm') + std::string("\x81\x00\x00\x05\x08\x00", 6) + kIp;
  EXPECT_EQ(*strip_link_layer(link_type::kEthernet, vlan), kIp);
  std::string qinq =
      std::string(12, 'm') + std::string("\x88\xa8\x00\x05\x81\x00\x00\x07\x86\xdd", 10) + kIp;
  EXPECT_EQ(*strip_link_layer(link_type::kEthernet, qinq), kIp);
  std::string arp = std::string(12, 'm') + std::string("\x08\x06", 2) + kIp;
  EXPECT_FALSE(strip_link_layer(link_type::kEthernet, arp));
}

TEST(LinkLayer, LinuxCooked) {
  std::string sll = std::string(14, 's') + std::string("\x08\x00", 2) + kIp;
  EXPECT_EQ(*strip_link_layer(link_type::kLinuxSll, sll), kIp);
  std::string sll2 = std::string("\x86\xdd", 2) + std::string(18, 's') + kIp;
  EXPECT_EQ(*strip_link_layer(link_type::kLinuxSll2, sll2), kIp);
}

TEST(LinkLayer, RawAndLoopback) {
  EXPECT_EQ(*strip_link_layer(link_type::kRaw, kIp), kIp);
  EXPECT_EQ(*strip_link_layer(link_type::kNull, std::string(4, '\x02') + kIp), kIp);
  EXPECT_FALSE(strip_link_layer(link_type::kRaw, "\x10zz"));
}

TEST(LinkLayer, ShortFramesAreRejected) {
  for (int dlt : {link_type::kEthernet, link_type::kLinuxSll, link_type::kLinuxSll2,
                  link_type::kNull, link_type::kRaw})
    for (size_t n = 0; n < 3; ++n) EXPECT_FALSE(strip_link_layer(dlt, std::string(n, '\0')));
  EXPECT_FALSE(link_type_supported(147));
}

}  // namespace
}  // namespace ftpgate
