// format_endpoint_text is the inverse of the parsers: what it writes parses back to the same
// address and port, and fills exactly the span the parser reports.
#include "core/endpoint_formatter.h"

#include <gtest/gtest.h>

#include "core/data_endpoint_parser.h"

namespace ftpgate {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

DataEndpoint parse_as(Announcement a, std::string_view text) {
  switch (a) {
    case Announcement::kPort: return parse_port_argument(text);
    case Announcement::kEprt: return parse_eprt_argument(text);
    case Announcement::kLprt: return parse_lprt_argument(text);
    case Announcement::k227: return parse_227_text(text);
    case Announcement::k228: return parse_228_text(text);
    case Announcement::k229: return parse_229_text("(|||" + std::string(text) + "|)");
  }
  return {};
}

TEST(EndpointFormatter, ParseOfFormatGivesBackAddressAndPort) {
  const IpAddress v4[] = {ip("203.0.113.1"), ip("0.0.0.1"), ip("255.255.255.255")};
  const IpAddress v6[] = {ip("2001:db8:2::1"), ip("::1"), ip("fe80::ffff:1")};
  const uint16_t ports[] = {1, 255, 256, 1024, 50000, 65535};
  for (uint16_t port : ports) {
    for (const IpAddress& a : v4) {
      for (Announcement ann : {Announcement::kPort, Announcement::k227, Announcement::kEprt,
                               Announcement::kLprt, Announcement::k228}) {
        const std::string text = format_endpoint_text(ann, a, port);
        const DataEndpoint e = parse_as(ann, text);
        ASSERT_TRUE(e.ok()) << text;
        EXPECT_EQ(e.address, a) << text;
        EXPECT_EQ(e.port, port) << text;
        EXPECT_EQ(e.begin, 0u) << text;  // the text is exactly the parser's span
        EXPECT_EQ(e.end, text.size()) << text;
      }
    }
    for (const IpAddress& a : v6) {
      for (Announcement ann : {Announcement::kEprt, Announcement::kLprt, Announcement::k228}) {
        const std::string text = format_endpoint_text(ann, a, port);
        const DataEndpoint e = parse_as(ann, text);
        ASSERT_TRUE(e.ok()) << text;
        EXPECT_EQ(e.address, a) << text;
        EXPECT_EQ(e.port, port) << text;
      }
    }
    const DataEndpoint e229 = parse_as(Announcement::k229, format_endpoint_text(Announcement::k229, ip("::1"), port));
    ASSERT_TRUE(e229.ok());
    EXPECT_EQ(e229.port, port);
  }
}

TEST(EndpointFormatter, WireForms) {
  EXPECT_EQ(format_endpoint_text(Announcement::kPort, ip("203.0.113.1"), 50000), "203,0,113,1,195,80");
  EXPECT_EQ(format_endpoint_text(Announcement::kEprt, ip("203.0.113.1"), 50000), "|1|203.0.113.1|50000|");
  EXPECT_EQ(format_endpoint_text(Announcement::kEprt, ip("2001:db8::1"), 7, '!'), "!2!2001:db8::1!7!");
  EXPECT_EQ(format_endpoint_text(Announcement::kLprt, ip("203.0.113.1"), 258), "4,4,203,0,113,1,2,1,2");
  EXPECT_EQ(format_endpoint_text(Announcement::k229, ip("203.0.113.1"), 50000), "50000");
}

}  // namespace
}  // namespace ftpgate
