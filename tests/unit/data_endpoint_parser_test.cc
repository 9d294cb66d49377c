#include "core/data_endpoint_parser.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

struct Case {
  const char* input;
  ParseStatus status;
  const char* address;  // nullptr: no address expected
  uint16_t port;
};

void check(const DataEndpoint& e, const Case& c) {
  ASSERT_EQ(e.status, c.status) << c.input;
  if (c.status != ParseStatus::kOk) return;
  EXPECT_EQ(e.port, c.port) << c.input;
  if (c.address) {
    ASSERT_TRUE(e.has_address) << c.input;
    EXPECT_EQ(e.address.to_string(), c.address) << c.input;
  } else {
    EXPECT_FALSE(e.has_address) << c.input;
  }
}

TEST(PortArgument, Table) {
  const Case cases[] = {
      {"10,0,1,2,4,1", ParseStatus::kOk, "10.0.1.2", 1025},
      {"010,000,001,002,004,001", ParseStatus::kOk, "10.0.1.2", 1025},  // kernel #10: decimal
      {"10,0,1,2,4,1  ", ParseStatus::kOk, "10.0.1.2", 1025},
      {"255,255,255,255,255,255", ParseStatus::kOk, "255.255.255.255", 65535},
      {"10,0,1,2,4", ParseStatus::kMalformed, nullptr, 0},        // kernel #7: 5 fields
      {"10,0,1,2,4,1,7", ParseStatus::kMalformed, nullptr, 0},    // kernel #8: 7 fields
      {"", ParseStatus::kMalformed, nullptr, 0},                  // kernel #9
      {"1,,3,4,5,6", ParseStatus::kMalformed, nullptr, 0},        // kernel #12 parsed it as 1.0.3.4
      {"10,0,0,258,4,1", ParseStatus::kOutOfRange, nullptr, 0},   // kernel #13 (pre-2026 bled)
      {"10,0,1,2,256,22", ParseStatus::kOutOfRange, nullptr, 0},  // kernel #14 (pre-2026 port 22)
      {"10,0,1,2,0,0", ParseStatus::kOutOfRange, nullptr, 0},     // kernel #15 accepted port 0
      {"10,0,1,2,4,1x", ParseStatus::kMalformed, nullptr, 0},
      {"10,0,1,2,4,1 x", ParseStatus::kMalformed, nullptr, 0},
      {" 10,0,1,2,4,1", ParseStatus::kMalformed, nullptr, 0},
      {"1000,0,1,2,4,1", ParseStatus::kOutOfRange, nullptr, 0},
      {"-1,0,1,2,4,1", ParseStatus::kMalformed, nullptr, 0},
      {"10,0,1,2,4,+1", ParseStatus::kMalformed, nullptr, 0},
  };
  for (const Case& c : cases) check(parse_port_argument(c.input), c);
}

TEST(PortArgument, RecordsTupleRange) {
  const DataEndpoint e = parse_port_argument("10,0,1,2,4,1 ");
  EXPECT_EQ(e.begin, 0u);
  EXPECT_EQ(e.end, 12u);
}

TEST(EprtArgument, Table) {
  const Case cases[] = {
      {"|1|10.0.1.2|1025|", ParseStatus::kOk, "10.0.1.2", 1025},          // kernel #24
      {"!1!10.0.1.2!1025!", ParseStatus::kOk, "10.0.1.2", 1025},          // kernel #25
      {"|2|2001:db8::2|1025|", ParseStatus::kOk, "2001:db8::2", 1025},
      {"|2|1080::8:800:200C:417A|5282|", ParseStatus::kOk, "1080::8:800:200c:417a", 5282},
      {"|1|132.235.1.2|6275|", ParseStatus::kOk, "132.235.1.2", 6275},    // RFC 2428 example
      {"|1|10.0.1.2|1025| ", ParseStatus::kOk, "10.0.1.2", 1025},
      // Kernel #26 ignores trailing junk; ftpgate refuses it: no client sends it.
      {"|1|10.0.1.2|1025|junk", ParseStatus::kMalformed, nullptr, 0},
      {"|3|10.0.1.2|1025|", ParseStatus::kUnsupportedFamily, nullptr, 0},  // kernel #28
      {"1|1|10.0.1.2|1025|", ParseStatus::kMalformed, nullptr, 0},         // digit delimiter
      {" |1|10.0.1.2|1025|", ParseStatus::kMalformed, nullptr, 0},
      {"|1|10.0.1.2|0|", ParseStatus::kOutOfRange, nullptr, 0},            // kernel #29
      {"|1|10.0.1.2|65558|", ParseStatus::kOutOfRange, nullptr, 0},        // kernel #29
      {"|1|10.0.1.2|123456|", ParseStatus::kOutOfRange, nullptr, 0},
      {"|1|10.0.1|1025|", ParseStatus::kMalformed, nullptr, 0},
      {"|1|10.0.1.256|1025|", ParseStatus::kMalformed, nullptr, 0},
      {"|1|2001:db8::2|1025|", ParseStatus::kMalformed, nullptr, 0},
      {"|2|10.0.1.2|1025|", ParseStatus::kMalformed, nullptr, 0},
      {"|1|10.0.1.2|1025", ParseStatus::kMalformed, nullptr, 0},
      {"|1|10.0.1.2||", ParseStatus::kMalformed, nullptr, 0},
      {"||10.0.1.2|1025|", ParseStatus::kUnsupportedFamily, nullptr, 0},
      {"", ParseStatus::kMalformed, nullptr, 0},
  };
  for (const Case& c : cases) check(parse_eprt_argument(c.input), c);
}

TEST(LprtArgument, Table) {
  const Case cases[] = {
      {"4,4,10,0,1,2,2,4,1", ParseStatus::kOk, "10.0.1.2", 1025},
      {"6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,2,2,4,1", ParseStatus::kOk, "2001:db8::2", 1025},
      {"4,4,10,0,1,2,2,0,0", ParseStatus::kOutOfRange, nullptr, 0},
      {"4,16,10,0,1,2,2,4,1", ParseStatus::kUnsupportedFamily, nullptr, 0},
      {"5,4,10,0,1,2,2,4,1", ParseStatus::kUnsupportedFamily, nullptr, 0},
      {"4,4,10,0,1,2,3,4,1,1", ParseStatus::kMalformed, nullptr, 0},  // pal must be 2
      {"4,4,10,0,1,2,2,4", ParseStatus::kMalformed, nullptr, 0},
      {"4,4,10,0,1,2,2,4,1,9", ParseStatus::kMalformed, nullptr, 0},
      {"4,4,10,0,1,300,2,4,1", ParseStatus::kOutOfRange, nullptr, 0},
  };
  for (const Case& c : cases) check(parse_lprt_argument(c.input), c);
}

TEST(Reply227Text, Table) {
  const Case cases[] = {
      {"Entering Passive Mode (10,0,2,2,195,80).", ParseStatus::kOk, "10.0.2.2", 50000},  // #31
      {"Entering Passive Mode 10,0,2,2,195,80", ParseStatus::kOk, "10.0.2.2", 50000},     // #32
      // Kernel #33 drops this (it takes the "2" of "v2"); ftpgate finds the tuple.
      {"Entering Passive Mode v2 (10,0,2,2,195,80)", ParseStatus::kOk, "10.0.2.2", 50000},
      {"=10,0,2,2,195,80", ParseStatus::kOk, "10.0.2.2", 50000},
      {"Logout.", ParseStatus::kMalformed, nullptr, 0},                                    // #34
      {"Entering Passive Mode (10,0,2,2,195)", ParseStatus::kMalformed, nullptr, 0},
      {"Entering Passive Mode (10,0,2,2,195,80,1)", ParseStatus::kMalformed, nullptr, 0},
      {"Entering Passive Mode (10,0,2,2,300,80)", ParseStatus::kOutOfRange, nullptr, 0},
      {"Entering Passive Mode (10,0,2,2,0,0)", ParseStatus::kOutOfRange, nullptr, 0},
      {"", ParseStatus::kMalformed, nullptr, 0},
  };
  for (const Case& c : cases) check(parse_227_text(c.input), c);
}

TEST(Reply228Text, Table) {
  const Case cases[] = {
      {"Entering Long Passive Mode (4,4,10,0,2,2,2,195,80)", ParseStatus::kOk, "10.0.2.2", 50000},
      {"Entering Long Passive Mode (6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,2,2,195,80)",
       ParseStatus::kOk, "2001:db8::2", 50000},
      {"Entering Long Passive Mode (4,4,10,0,2,2,2,195)", ParseStatus::kMalformed, nullptr, 0},
      {"Entering Long Passive Mode (9,4,10,0,2,2,2,195,80)", ParseStatus::kUnsupportedFamily,
       nullptr, 0},
      // Found by fuzz_parsers (tests/fuzz/crashers/parsers): a good tuple followed by more
      // fields used to come back as kOk with port 0.
      {"04,04,0,1,0,0,2,1,2,4,1,2,4,1'1", ParseStatus::kMalformed, nullptr, 0},
  };
  for (const Case& c : cases) check(parse_228_text(c.input), c);
}

TEST(Reply229Text, Table) {
  const Case cases[] = {
      {"Entering Extended Passive Mode (|||50000|)", ParseStatus::kOk, nullptr, 50000},  // #39
      {"Entering Extended Passive Mode (!!!50000!)", ParseStatus::kOk, nullptr, 50000},  // #40
      {"Entering Extended Passive Mode (|||50000|).", ParseStatus::kOk, nullptr, 50000},
      {"Entering Extended Passive Mode (|||50000)", ParseStatus::kMalformed, nullptr, 0},  // #41
      {"Entering Extended Passive Mode |||50000|", ParseStatus::kMalformed, nullptr, 0},
      {"(|1|50000|)", ParseStatus::kMalformed, nullptr, 0},
      {"(|||0|)", ParseStatus::kOutOfRange, nullptr, 0},
      {"(|||65558|)", ParseStatus::kOutOfRange, nullptr, 0},                             // #42
      {"(1115000001)", ParseStatus::kMalformed, nullptr, 0},
      {"(|||)", ParseStatus::kMalformed, nullptr, 0},
      {"(", ParseStatus::kMalformed, nullptr, 0},
  };
  for (const Case& c : cases) check(parse_229_text(c.input), c);
}

}  // namespace
}  // namespace ftpgate
