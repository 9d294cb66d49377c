#include "core/ip_address.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

TEST(IpAddress, ParsesAndPrintsCanonically) {
  EXPECT_EQ(IpAddress::parse("10.0.1.2")->to_string(), "10.0.1.2");
  EXPECT_EQ(IpAddress::parse("2001:DB8:0:0::1")->to_string(), "2001:db8::1");
  EXPECT_EQ(IpAddress::parse("::ffff:10.0.0.1")->to_string(), "::ffff:10.0.0.1");
}

TEST(IpAddress, StrictV4) {
  EXPECT_FALSE(IpAddress::parse_v4("10.0.1"));
  EXPECT_FALSE(IpAddress::parse_v4("10.0.1.256"));
  EXPECT_FALSE(IpAddress::parse_v4("10.0.1.02"));
  EXPECT_FALSE(IpAddress::parse_v4("10.0.1.2 "));
  EXPECT_FALSE(IpAddress::parse_v4(""));
  EXPECT_TRUE(IpAddress::parse_v4("0.0.0.0"));
}

TEST(IpAddress, StrictV6) {
  EXPECT_FALSE(IpAddress::parse_v6("2001:db8::1::2"));
  EXPECT_FALSE(IpAddress::parse_v6(std::string(100, ':')));
  EXPECT_FALSE(IpAddress::parse_v6(""));
}

TEST(IpAddress, EqualityAndFamily) {
  EXPECT_EQ(*IpAddress::parse("10.0.0.1"), IpAddress::v4(0x0a000001));
  EXPECT_NE(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("::ffff:10.0.0.1"));
  EXPECT_TRUE(IpAddress::parse("::1")->is_v6());
  EXPECT_EQ(IpAddress::v4(0x0a000001).v4_host_order(), 0x0a000001u);
}

}  // namespace
}  // namespace ftpgate
